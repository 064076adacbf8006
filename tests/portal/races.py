"""Two (or more) people acting on the same thing at the same moment, for the service tests.

:func:`race` runs each call in a thread of its own, with an application context of its own
(its own session and connection, as two requests have), and releases them together with a
barrier, so that every call has passed the service's early checks before any commits. What
each call returned or raised comes back in call order; anything but a service refusal fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from portal.services.errors import ServiceError

TIMEOUT = 120


def race(app: Flask, *calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once; each one's result, or the :class:`ServiceError` it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)
    unexpected: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait(timeout=TIMEOUT)
            try:
                outcomes[index] = call()
            except ServiceError as refused:
                outcomes[index] = refused
            except BaseException as error:
                unexpected.append(error)

    threads = [
        threading.Thread(target=run, args=(i, call), name=f"race-{i}")
        for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racing call never finished"
    if unexpected:
        raise unexpected[0]
    return outcomes


def split(outcomes: list[Any]) -> tuple[list[Any], list[ServiceError]]:
    """(what succeeded, what was refused)."""
    done = [o for o in outcomes if not isinstance(o, ServiceError)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    return done, refused
