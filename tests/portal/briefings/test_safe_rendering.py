"""Rendering hostile content: nothing is fetched, no local file leaks, limits stop monsters."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from portal.services.briefings.pdf_renderer import Renderer, RenderFailed, RenderLimits
from tests.portal.briefings.pdf_text import page_texts


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


def hostile(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return f"""
- <img src="file:///etc/passwd">
- <img src="{base}/pixel.png">
- <style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png") }}</style>
- <svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg.png" width="9" height="9"/></svg>
- <link rel="attachment" href="file:///etc/passwd">
- <a rel="attachment" href="file:///etc/passwd">passwd</a>
- <iframe src="{base}/frame"></iframe>
- [a link to the listener]({base}/link) and ![image]({base}/md.png)
- <object data="file:///etc/passwd"></object>
"""


def test_hostile_bulletin_content_fetches_nothing(desk, clients, listener, tmp_path):
    body = hostile(listener.port)
    bid = desk.post(title="<img src=file:///etc/passwd>", body=body, summary=body[:400])
    data = {"csrf_token": clients.token("fr.analyst"), "title": "Hostile", "source": "selection"}
    response = clients["fr.analyst"].post("/briefings/", data=data | {"bulletin_ids": [bid]})
    assert response.status_code == 200, response.text
    path = tmp_path / "hostile.pdf"
    path.write_bytes(response.data)
    text = "".join(page_texts(path))
    assert "root:x:0:0" not in text and b"root:x:0:0" not in response.data
    assert b"/EmbeddedFile" not in response.data and b"/URI" not in response.data
    assert listener.connections == 0


def test_the_renderer_refuses_every_url_even_in_raw_html(listener, tmp_path):
    """Defence in depth: the same content straight into WeasyPrint, unsanitised."""
    renderer = Renderer(RenderLimits(timeout_s=30))
    try:
        html = "<html><head><link rel=stylesheet href='file:///etc/passwd'></head><body>"
        html += hostile(listener.port).replace("\n- ", "<p>") + "<p>still here</p></body></html>"
        rendered = renderer.render(html)
    finally:
        renderer.close()
    path = tmp_path / "raw.pdf"
    path.write_bytes(rendered.pdf)
    assert "still here" in "".join(page_texts(path))
    assert b"root:x:0:0" not in rendered.pdf and b"/EmbeddedFile" not in rendered.pdf
    assert listener.connections == 0
    assert any(url.startswith("file:") for url in rendered.refused)
    assert any(f":{listener.port}/" in url for url in rendered.refused)


def test_assets_outside_the_briefing_folder_are_refused(tmp_path):
    renderer = Renderer()
    try:
        html = (
            "<link rel=stylesheet href='ischia-asset:../css/portal.css'>"
            "<link rel=stylesheet href='ischia-asset:briefing.css'><p>x</p>"
        )
        rendered = renderer.render(html)
    finally:
        renderer.close()
    assert rendered.refused == ("ischia-asset:../css/portal.css",)


def test_a_deeply_nested_document_is_stopped_and_the_next_one_renders():
    renderer = Renderer(RenderLimits(timeout_s=3, memory_mb=512))
    try:
        with pytest.raises(RenderFailed, match="stopped"):
            renderer.render("<div>" * 60_000 + "deep" + "</div>" * 60_000)
        assert renderer.render("<p>after</p>").pages == 1
    finally:
        renderer.close()


# One word of three million letters: its text layout needs more memory than a briefing may use
# within seconds (a table as large takes a minute of layout to get there).
HUGE = "<p>" + "x" * 3_000_000 + "</p>"


def test_a_huge_document_runs_out_of_its_memory_limit_not_the_portals():
    renderer = Renderer(RenderLimits(timeout_s=60, memory_mb=400))
    try:
        with pytest.raises(RenderFailed, match=r"memory|longer"):
            renderer.render(HUGE)
        assert renderer.render("<p>after</p>").pages == 1
    finally:
        renderer.close()


def test_a_render_failure_in_the_portal_is_a_clear_page_and_the_portal_keeps_serving(
    app, desk, clients
):
    bid = desk.post()
    app.config["BRIEFING_TIMEOUT_S"] = 0.001
    data = {"csrf_token": clients.token("fr.analyst"), "title": "Too slow", "source": "selection"}
    response = clients["fr.analyst"].post("/briefings/", data=data | {"bulletin_ids": [bid]})
    assert response.status_code == 422
    assert "took longer than" in response.text and "Traceback" not in response.text
    app.config["BRIEFING_TIMEOUT_S"] = 30.0
    assert clients["fr.analyst"].get("/briefings/").status_code == 200
    again = clients["fr.analyst"].post("/briefings/", data=data | {"bulletin_ids": [bid]})
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_large_html_is_refused_before_rendering():
    renderer = Renderer(RenderLimits(max_html_bytes=1000))
    with pytest.raises(RenderFailed, match="too large"):
        renderer.render("<p>" + "x" * 2000)
    assert renderer._child is None  # nothing was started for it


class JobTimeout(Exception):
    """What RQ raises in a job that overruns (not an OSError)."""


def test_an_interrupted_render_never_answers_the_next_one(monkeypatch, tmp_path):
    """A job timeout during the wait must not leave an answer for the next user."""
    from multiprocessing.connection import Connection

    renderer = Renderer()
    original = Connection.poll
    calls = {"n": 0}

    def interrupted(self, timeout=0.0):
        calls["n"] += 1
        if calls["n"] == 1:
            raise JobTimeout("job timeout")
        return original(self, timeout)

    try:
        monkeypatch.setattr(Connection, "poll", interrupted)
        with pytest.raises(JobTimeout):
            renderer.render("<p>SECRET OF USER ALICE</p>")
        monkeypatch.setattr(Connection, "poll", original)
        rendered = renderer.render("<p>Bob's own briefing</p>")
    finally:
        renderer.close()
    path = tmp_path / "bob.pdf"
    path.write_bytes(rendered.pdf)
    text = "".join(page_texts(path))
    assert "Bob's own briefing" in text and "ALICE" not in text


def test_a_busy_renderer_answers_busy_instead_of_waiting_forever():
    renderer = Renderer(RenderLimits(queue_wait_s=0.05))
    renderer._lock.acquire()
    try:
        with pytest.raises(RenderFailed, match="busy"):
            renderer.render("<p>x</p>")
    finally:
        renderer._lock.release()


def test_a_child_that_cannot_start_is_a_clear_failure_and_the_next_limits_work():
    # 64 MB cannot hold WeasyPrint's import: the child dies before it is ready.
    starved = Renderer(RenderLimits(timeout_s=30, memory_mb=64))
    try:
        with pytest.raises(RenderFailed, match="did not start"):
            starved.render("<p>never</p>")
    finally:
        starved.close()
    renderer = Renderer(RenderLimits(timeout_s=30, memory_mb=512))
    try:
        assert renderer.render("<p>after</p>").pages == 1
    finally:
        renderer.close()


def test_a_used_child_that_runs_out_of_memory_gets_one_fresh_try():
    # A child's heap only grows: one that rendered earlier documents and dies on the next gets
    # that document again in a fresh child; a fresh child's death is the document's own fault.
    # 320 MB: room for the child under coverage (pytest-cov follows it), not for the word.
    renderer = Renderer(RenderLimits(timeout_s=60, memory_mb=320))
    started: list[int] = []
    start = renderer._start

    def counting_start():  # type: ignore[no-untyped-def]
        connection = start()
        if not started or started[-1] != renderer._child.pid:
            started.append(renderer._child.pid)
        return connection

    renderer._start = counting_start  # type: ignore[method-assign]
    try:
        assert renderer.render("<p>one</p>").pages == 1
        with pytest.raises(RenderFailed, match="needed more memory"):
            renderer.render(HUGE)
        assert len(started) == 2  # the large document had a second try, in a fresh child
        assert renderer.render("<p>after</p>").pages == 1 and len(started) == 3
    finally:
        renderer.close()
