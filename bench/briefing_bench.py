"""Issue 6 figures: a 20-page briefing against WeasyPrint alone, pages/s, memory, and a
200-page briefing.

In one run, on demo data (``seed-demo``'s own sealed bulletins in a temporary SQLite file):

1. Make a briefing of about 30 bulletins (one graph figure) as the FR analyst, exactly as the
   portal does (select, open and verify, graph layout, charts, template, render in the
   limited child process, sign, record), and, on the same final HTML, WeasyPrint alone in this
   process. Prints the ratio (target at most 1.3), pages/s, the share of our own code, and
   the peak RSS of the portal process and of the rendering child (target under 300 MB).
2. A briefing of about 90 demo bulletins (about 200 pages) through the job queue (RQ on the
   Redis at --redis, a worker in this process): its time and the rendering child's memory.

    .venv/bin/python bench/briefing_bench.py [--runs 5]

Only local files are touched; nothing is fetched.
"""

from __future__ import annotations

import argparse
import platform
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from rq import SimpleWorker  # noqa: E402
from sqlalchemy import select  # noqa: E402
from weasyprint import HTML  # noqa: E402

from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.demo import bulletins as demo_bulletins  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import BriefingCopy, BriefingState, Role, User, utcnow  # noqa: E402
from portal.services.briefings import contents as briefing_contents  # noqa: E402
from portal.services.briefings import copies, job_queue, signing  # noqa: E402
from portal.services.briefings.asset_fetcher import BriefingFetcher  # noqa: E402
from portal.services.briefings.layout import Cover, briefing_html  # noqa: E402
from portal.services.briefings.making import make_briefing, prepared_for  # noqa: E402
from portal.services.briefings.pdf_renderer import (  # noqa: E402
    ASSETS,
    Renderer,
    RenderLimits,
    close_shared_renderers,
)
from portal.services.briefings.selection import (  # noqa: E402
    BriefingRequest,
    Source,
    chosen_bulletins,
    highest_marking,
)
from portal.services.bulletins.inbox import InboxQuery, matching_ids  # noqa: E402
from portal.services.principals import Actor, Reader  # noqa: E402


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _app(folder: Path):
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "MASTER_KEY": secrets.token_bytes(32),
            "MASTER_KEY_FILE": str(folder / "unused.key"),
            "ARGON2_MEMORY_COST_KIB": 19456,
        }
    )


def _analyst() -> User:
    email = demo.demo_email(Role.ANALYST, "FR-MININT")
    return db.session.scalars(select(User).where(User.email == email)).one()


def _make(user: User, ids: list[str], renderer: Renderer) -> tuple[float, int, str]:
    reader = Reader.of(user)
    request = BriefingRequest(
        title="Bench briefing", source=Source.SELECTION, bulletin_ids=tuple(ids)
    )
    started = time.perf_counter()
    bulletins = chosen_bulletins(reader, request)
    actor = Actor.of(user)
    copy = copies.start_copy(
        reader, actor, bulletins, highest_marking(bulletins).value, state=BriefingState.RENDERING
    )
    made = make_briefing(
        reader,
        actor,
        request,
        copy,
        user.organisation,
        prepared_for(user),
        renderer,
        delivered=True,
    )
    return time.perf_counter() - started, made.pages, copy.id


def _final_html(user: User, ids: list[str]) -> str:
    """The same kind of HTML make_briefing renders (a fresh copy id and time)."""
    reader = Reader.of(user)
    request = BriefingRequest(
        title="Bench briefing", source=Source.SELECTION, bulletin_ids=tuple(ids)
    )
    bulletins = chosen_bulletins(reader, request)
    contents = briefing_contents.open_bulletins(reader, bulletins, utcnow())
    version, fingerprint = signing.signing_key(user.organisation.code)
    heading = briefing_contents.Heading(
        copies.new_copy_id(),
        request.title,
        "",
        "TLP:AMBER",
        prepared_for(user),
        user.organisation.code,
        utcnow(),
    )
    cover = Cover(heading, user.organisation.name, "0" * 64, version, fingerprint)
    return briefing_html(cover, contents)


def _weasyprint_alone(html: str) -> tuple[float, int]:
    started = time.perf_counter()
    document = HTML(string=html, url_fetcher=BriefingFetcher(ASSETS), base_url=None).render()
    document.write_pdf()
    return time.perf_counter() - started, len(document.pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bulletins", type=int, default=9)
    parser.add_argument("--large", type=int, default=90)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    with tempfile.TemporaryDirectory() as folder:
        app = _app(Path(folder))
        with app.app_context(), app.test_request_context():
            demo.seed()
            demo_bulletins.seed_bulletins(400)
            user = _analyst()
            newest = matching_ids(Reader.of(user), InboxQuery(), 1000)
            ids = newest[: args.bulletins]
            renderer = Renderer(RenderLimits(timeout_s=600, memory_mb=1024))
            renderer.warm_up()
            _make(user, ids, renderer)  # the child's first render loads fonts
            totals, alone, pages_seen = [], [], 0
            for _ in range(args.runs):
                seconds, pages_seen, _ = _make(user, ids, renderer)
                totals.append(seconds)
            # Before WeasyPrint ever runs in this process: the portal side's own peak.
            portal_peak = _rss_mb(resource.RUSAGE_SELF)
            html = _final_html(user, ids)
            for _ in range(args.runs):
                alone.append(_weasyprint_alone(html)[0])
            total, only = statistics.median(totals), statistics.median(alone)
            print(f"briefing of {len(ids)} bulletins: {pages_seen} pages")
            print(f"  portal, end to end: median {total:.2f} s over {args.runs} runs")
            print(f"  WeasyPrint alone on the same HTML: median {only:.2f} s")
            print(f"  ratio: {total / only:.2f} (target <= 1.3)")
            print(f"  pages/s: {pages_seen / total:.1f}; our own code: {1 - only / total:.0%}")
            print(
                f"  peak RSS of the portal process (demo data, 400 bulletins): {portal_peak:.0f} MB"
            )
            renderer.close()
            print(f"  peak RSS of the rendering child: {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")

            large = newest[: args.large]
            app.config.update(REDIS_URL=args.redis, BRIEFING_QUEUE_ABOVE=0)
            _through_the_queue(user, large)


def _through_the_queue(user: User, ids: list[str]) -> None:
    """Queue the briefing as the portal does, run the worker, time it to the stored PDF."""
    reader = Reader.of(user)
    request = BriefingRequest(
        title="Large briefing", source=Source.SELECTION, bulletin_ids=tuple(ids)
    )
    bulletins = chosen_bulletins(reader, request)
    started = time.perf_counter()
    copy = copies.start_copy(
        reader,
        Actor.of(user),
        bulletins,
        highest_marking(bulletins).value,
        state=BriefingState.QUEUED,
    )
    job_queue.enqueue(copy, request)
    queue = job_queue.queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    seconds = time.perf_counter() - started
    close_shared_renderers()  # a child's peak RSS is known once it has ended
    db.session.expire_all()
    done = db.session.get_one(BriefingCopy, copy.id)
    pdf = job_queue.queued_pdf(done)
    assert done.state == BriefingState.READY.value and pdf is not None, done.error
    print(
        f"briefing of {len(ids)} bulletins through RQ: {done.page_count} pages in "
        f"{seconds:.1f} s ({done.page_count / seconds:.1f} pages/s), {len(pdf) / 1e6:.1f} MB; "
        f"rendering children's peak RSS {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )


if __name__ == "__main__":
    main()
