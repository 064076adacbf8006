"""WeasyPrint in a child process with a memory limit and a timeout.

A hostile or merely huge document must not take the portal down, so the portal never renders
in its own process: one child per portal process imports WeasyPrint once, renders one
document at a time under ``RLIMIT_AS``, and is killed when it overruns its time. The next
render starts a fresh child. The child is started with ``spawn``, so it inherits no database
connection, lock or key from the portal.

:func:`shared_renderer` keeps a process's child for each set of the app's limits: those of a
render in the request, and the larger ones of a queue worker.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext

ASSETS = Path(__file__).resolve().parents[2] / "static" / "briefing"


READY = (0, "ready")  # a child's first message; documents are numbered from 1


class RenderFailed(Exception):
    """The document could not be rendered; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RenderLimits:
    memory_mb: int = 512
    timeout_s: float = 30.0
    max_html_bytes: int = 40 * 1024 * 1024
    queue_wait_s: float = 60.0  # how long a render waits for the child to be free
    # A new child imports WeasyPrint before its first document; on a busy machine that can take
    # seconds, which must not count against the document's own time.
    startup_s: float = 60.0


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    refused: tuple[str, ...]  # URLs the document asked for and did not get
    seconds: float  # inside WeasyPrint


def _render_one(html: str, assets: Path) -> tuple[bytes, int, list[str], float]:
    import time

    from weasyprint import HTML

    from portal.services.briefings.asset_fetcher import BriefingFetcher

    started = time.perf_counter()
    fetcher = BriefingFetcher(assets)
    document = HTML(string=html, url_fetcher=fetcher, base_url=None).render()
    # No embedded files, whatever the HTML says, and no link that leaves the document.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] == "internal"]
    pdf = document.write_pdf()
    return pdf, len(document.pages), fetcher.refused, time.perf_counter() - started


def _serve(connection: Connection, assets: str, memory_bytes: int) -> None:
    """The child's loop: one HTML document in, one PDF (or an error kind) out."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import weasyprint  # noqa: F401  (imported once, before the first document)

    connection.send(READY)
    while True:
        try:
            number, html = connection.recv()
        except EOFError:
            return
        try:
            connection.send((number, "ok", *_render_one(html, Path(assets))))
        except MemoryError:
            # A process that ran out of memory is not trusted with the next document: it
            # leaves at once, and the parent reads the closed pipe as "out of memory".
            os._exit(3)
        except RecursionError:
            connection.send((number, "complex", None, 0, [], 0.0))
        except Exception as error:  # reported to the parent, which decides
            connection.send((number, "error", type(error).__name__, 0, [], 0.0))


class Renderer:
    """One rendering child, started on first use, shared by the threads of this process."""

    def __init__(self, limits: RenderLimits | None = None, assets: Path = ASSETS) -> None:
        self.limits = limits or RenderLimits()
        self.assets = assets
        self._lock = threading.Lock()
        self._child: Any = None
        self._connection: Connection | None = None
        self._sequence = 0
        self._documents = 0  # documents the current child has rendered
        atexit.register(self.close)

    def _start(self) -> Connection:
        if self._child is not None and self._child.is_alive() and self._connection is not None:
            return self._connection
        self.close()
        self._documents = 0
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        memory = self.limits.memory_mb * 1024 * 1024
        self._child = context.Process(
            target=_serve, args=(child, str(self.assets), memory), daemon=True
        )
        self._child.start()
        child.close()
        self._connection = parent
        try:
            ready = parent.poll(self.limits.startup_s) and parent.recv() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.close()
            raise RenderFailed(
                gettext("The briefing renderer did not start: try again in a minute.")
            )
        return parent

    def warm_up(self) -> None:
        """Start the child now (WeasyPrint's import takes about half a second)."""
        with self._lock:
            self._start()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join(timeout=5)
            self._child = None

    def render(self, html: str) -> RenderedPdf:
        """The PDF of ``html``; :class:`RenderFailed` when it is too big, too slow or broken.

        Each document goes out with a fresh number that the child sends back with its PDF; an
        answer with another number (left over from an interrupted render) is never returned.
        Anything that interrupts the wait kills the child, so no stale answer can survive.
        """
        if len(html.encode("utf-8")) > self.limits.max_html_bytes:
            raise RenderFailed(
                gettext("This briefing is too large to render: choose fewer bulletins.")
            )
        if not self._lock.acquire(timeout=self.limits.queue_wait_s):
            raise RenderFailed(gettext("The briefing renderer is busy: try again in a minute."))
        try:
            try:
                status, pdf, pages, refused, seconds = self._exchange(html)
            except _OutOfMemory as spent:
                if spent.fresh:
                    raise RenderFailed(_out_of_memory()) from None
                # A child that rendered earlier documents may have run out of memory for their
                # sake (its heap only grows): the document gets one try in a fresh child.
                try:
                    status, pdf, pages, refused, seconds = self._exchange(html)
                except _OutOfMemory:
                    raise RenderFailed(_out_of_memory()) from None
        finally:
            self._lock.release()
        if status == "ok":
            return RenderedPdf(pdf, pages, tuple(refused), seconds)
        if status == "complex":
            raise RenderFailed(gettext("Rendering stopped: the document is nested too deeply."))
        raise RenderFailed(gettext("Rendering failed (%(reason)s).", reason=pdf))

    def _exchange(self, html: str) -> tuple[str, Any, int, list[str], float]:
        connection = self._start()
        self._sequence += 1
        number = self._sequence
        try:
            connection.send((number, html))
            while True:
                if not connection.poll(self.limits.timeout_s):
                    raise _Overrun()
                answer_number, *answer = connection.recv()
                if answer_number == number:
                    self._documents += 1
                    return tuple(answer)
        except _Overrun:
            self.close()
            raise RenderFailed(
                gettext(
                    "Rendering took longer than %(seconds)s seconds and was stopped: "
                    "choose fewer bulletins.",
                    seconds=format(self.limits.timeout_s, "g"),
                )
            ) from None
        except (EOFError, OSError):
            fresh = self._documents == 0
            self.close()
            raise _OutOfMemory(fresh) from None
        except BaseException:
            self.close()  # interrupted (a job timeout, a signal): the child's answer is void
            raise


class _Overrun(Exception):
    pass


class _OutOfMemory(Exception):
    """The child died rendering (out of memory); ``fresh``: it had rendered nothing before."""

    def __init__(self, fresh: bool) -> None:
        super().__init__(fresh)
        self.fresh = fresh


def _out_of_memory() -> str:
    return gettext("Rendering stopped: the document needed more memory than a briefing may use.")


_RENDERERS: dict[RenderLimits, Renderer] = {}
_RENDERERS_LOCK = threading.Lock()


def shared_renderer(*, queued: bool = False) -> Renderer:
    """This process's rendering child for the app's limits (started on first use).

    One per process, not per app: WeasyPrint is imported once per worker. A queue worker
    renders the large briefings, under the larger queue limits.
    """
    config = current_app.config
    limits = RenderLimits(
        memory_mb=config["BRIEFING_QUEUE_MEMORY_MB" if queued else "BRIEFING_MEMORY_MB"],
        timeout_s=config["BRIEFING_QUEUE_TIMEOUT_S" if queued else "BRIEFING_TIMEOUT_S"],
    )
    with _RENDERERS_LOCK:
        existing = _RENDERERS.get(limits)
        if existing is None:
            existing = _RENDERERS[limits] = Renderer(limits)
    return existing


def close_shared_renderers() -> None:
    """Stop this process's rendering children (they start again on the next render)."""
    with _RENDERERS_LOCK:
        for existing in _RENDERERS.values():
            existing.close()
