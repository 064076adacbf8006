"""Operations figures: backup and restore of a demo database, and an organisation-key rotation,
each against a floor measured in the same run (copying the same database file; opening each of
the organisation's bulletins once). SQLite, in a scratch directory; prints one line per figure.

    .venv/bin/python bench/ops_bench.py [--bulletins 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Bulletin, BulletinKey
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin


def _app(url: str, key: bytes, folder: Path):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "MASTER_KEY": key,
            "MASTER_KEY_FILE": str(folder / "unused.key"),
            "CHECKPOINT_DIR": str(folder / "checkpoints"),
            "ARGON2_MEMORY_COST_KIB": 19456,
        }
    )


def _timed(run) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulletins", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ischia-ops-bench-"))
    key = secrets.token_bytes(32)
    source = scratch / "source.db"
    app = _app(f"sqlite:///{source}", key, scratch)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(
        args=["seed-demo", "--bulletins", str(args.bulletins), "--referrals", "0", "--hashes", "0"]
    )
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        org = db.session.scalars(
            select(BulletinKey.org_code).group_by(BulletinKey.org_code)
        ).first()
        envelopes = len(
            db.session.scalars(select(BulletinKey).where(BulletinKey.org_code == org)).all()
        )
    print(
        f"database {source.stat().st_size / 1e6:.1f} MB, {args.bulletins} bulletins; "
        f"rotating {org}: {envelopes} envelopes"
    )
    names = ("copy", "create", "restore", "open", "rotate")
    figures: dict[str, list[float]] = {name: [] for name in names}

    def open_all() -> None:
        with app.app_context():
            ids = db.session.scalars(
                select(BulletinKey.bulletin_id).where(BulletinKey.org_code == org)
            ).all()
            for bulletin_id in ids:
                bulletin = db.session.get_one(Bulletin, bulletin_id)
                assert isinstance(open_bulletin(db.session(), org, bulletin), OpenedBulletin)
            db.session.remove()

    def invoke(target, *command: str) -> None:  # type: ignore[no-untyped-def]
        result = target.test_cli_runner().invoke(args=list(command))
        assert result.exit_code == 0, result.output

    for run in range(args.runs):
        archive = str(scratch / f"backup-{run}.tar.gz")
        fresh = _app(f"sqlite:///{scratch / f'fresh-{run}.db'}", key, scratch)
        figures["copy"].append(_timed(partial(shutil.copyfile, source, scratch / "copy.db")))
        figures["create"].append(_timed(partial(invoke, app, "backup", "create", archive)))
        figures["restore"].append(_timed(partial(invoke, fresh, "backup", "restore", archive)))
        figures["open"].append(_timed(open_all))
        figures["rotate"].append(_timed(partial(invoke, app, "keys", "rotate", "--org", org)))
    for name, values in figures.items():
        print(
            f"{name:8s} median {statistics.median(values):7.3f} s   runs "
            + " ".join(f"{v:.3f}" for v in values)
        )
    rotate, opening = statistics.median(figures["rotate"]), statistics.median(figures["open"])
    print(
        f"rotation: {envelopes / rotate:.0f} envelopes/s; "
        f"{rotate / opening:.1f}x the floor of opening each once"
    )
    create, copy = statistics.median(figures["create"]), statistics.median(figures["copy"])
    print(f"backup create: {create / copy:.1f}x a plain file copy")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
