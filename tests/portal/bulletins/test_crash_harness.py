"""The kill -9 harness (``bench/crash_test.py``): it finds a loss when there is one, and a
short run of it (two kills per database) loses nothing. The 40-kill figures are in
``bench/RESULTS.md``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.models import AuditRecord
from portal.services.bulletins import acknowledgements
from tests.conftest import BACKENDS
from tests.portal.service_checks import actor_of, flip_content

HARNESS = Path(__file__).resolve().parents[3] / "bench" / "crash_test.py"


def _harness():  # type: ignore[no-untyped-def]
    if "crash_test" not in sys.modules:
        spec = importlib.util.spec_from_file_location("crash_test", HARNESS)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["crash_test"] = module
        spec.loader.exec_module(module)
    return sys.modules["crash_test"]


def test_the_check_reports_what_the_database_does_not_hold(app, desk):
    crash = _harness()
    kept = desk.post()
    ledger, outcome = crash.Ledger(), crash.Outcome("test")
    ledger.posted = {
        kept: ("IT-MININT", ("DE-BMI", "FR-MININT")),
        "0" * 32: ("IT-MININT", ("FR-MININT",)),
    }
    ledger.acknowledged = {(kept, "FR-MININT")}
    crash.check(app, ledger, outcome, set())
    assert outcome.lost_bulletins == ["0" * 32]
    assert outcome.lost_acknowledgements == [(kept, "FR-MININT")]
    assert outcome.unverified == [] and outcome.audit_failures == []
    assert (outcome.posted, outcome.acknowledged, outcome.lost) == (2, 1, 2)


def test_the_check_reports_a_bulletin_that_no_longer_verifies_and_a_broken_chain(app, desk):
    crash = _harness()
    bulletin_id = desk.post()
    with app.app_context():
        fr = desk.reader("fr.analyst")
        acknowledgements.acknowledge(fr, actor_of(fr), bulletin_id)
        flip_content(bulletin_id)
        with db.write() as session:
            session.execute(update(AuditRecord).where(AuditRecord.seq == 1).values(outcome="x"))
    ledger, outcome = crash.Ledger(), crash.Outcome("test")
    ledger.posted = {bulletin_id: ("IT-MININT", ("DE-BMI", "FR-MININT"))}
    ledger.acknowledged = {(bulletin_id, "FR-MININT")}
    crash.check(app, ledger, outcome, set())
    assert outcome.unverified == [bulletin_id] and outcome.lost_acknowledgements == []
    assert len(outcome.audit_failures) == 1 and "record #1" in outcome.audit_failures[0]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_gunicorn_killed_under_load_loses_nothing_it_confirmed(backend):
    crash = _harness()
    outcome = crash.run(backend, 2, clients=8, load=(0.5, 3.0), say=lambda _line: None)
    assert outcome.kills == 2
    assert outcome.posted > 0  # clients were served between the kills
    assert outcome.lost == 0, (
        outcome.lost_bulletins,
        outcome.unverified,
        outcome.lost_acknowledgements,
        outcome.audit_failures,
    )
