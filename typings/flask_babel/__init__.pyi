# The parts of Flask-Babel that Ischia uses, typed (Flask-Babel ships no type information).
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from babel import Locale
from babel.support import NullTranslations
from flask import Flask
from flask_babel.speaklater import LazyString as LazyString

def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...
def pgettext(context: str, string: str, **variables: Any) -> str: ...

# A LazyString stands in for the str it becomes when read (WTForms labels, tables of meanings):
# typed as that str, as the code uses it.
def lazy_gettext(string: str, **variables: Any) -> str: ...
def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...
def get_locale() -> Locale | None: ...
def force_locale(locale: str) -> AbstractContextManager[None]: ...

class Domain:
    def __init__(self, translation_directories: Any = ..., domain: str = ...) -> None: ...
    def get_translations(self) -> NullTranslations: ...

class Babel:
    domain_instance: Domain
    def __init__(
        self,
        app: Flask | None = ...,
        *,
        locale_selector: Callable[[], str | None] | None = ...,
        default_locale: str = ...,
        **options: Any,
    ) -> None: ...
