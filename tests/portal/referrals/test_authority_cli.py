"""``flask orgs competent-authority``: an operator names (or un-names) the organisations that may
issue removal orders; every change is audited, refusals name the organisation and write nothing."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation
from tests.portal.service_checks import records, unchanged


def _flag(app, code: str) -> bool:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        assert org is not None
        return org.competent_authority


def _run(runner, *args: str):
    return runner.invoke(args=["orgs", "competent-authority", *args])


def test_an_operator_sets_and_clears_the_flag(app, runner, world):
    assert not _flag(app, "IT-MININT")
    result = _run(runner, "--org", "it-minint", "--set")
    assert result.exit_code == 0, result.output
    assert result.output == "IT-MININT is a competent authority: it may issue removal orders\n"
    assert _flag(app, "IT-MININT")
    again = _run(runner, "--org", "IT-MININT", "--set")  # already set: nothing new on record
    assert again.exit_code == 0
    result = _run(runner, "--org", "IT-MININT", "--clear")
    assert result.exit_code == 0
    assert "IT-MININT is not a competent authority" in result.output
    assert not _flag(app, "IT-MININT")
    with app.app_context():
        changes = [
            r.details
            for r in records("org.competent_authority_set")
            if r.details["org"] == "IT-MININT"
        ]
    assert changes == [
        {"org": "IT-MININT", "competent_authority": True},
        {"org": "IT-MININT", "competent_authority": False},
    ]


def test_refusals_name_the_organisation_and_change_nothing(app, runner, world):
    cases = (
        (("--org", "NOPE", "--set"), "Error: --org: No organisation with code NOPE."),
        (("--org", "UK-HO", "--set"), "Error: --org: UK-HO is not an authority of an EU member"),
        (("--org", "PLATFORM-X", "--set"), "Error: --org: PLATFORM-X is not an authority"),
        (("--org", "EU-HOME", "--set"), "Error: --org: EU-HOME is not an authority"),
    )
    for args, message in cases:
        with app.app_context(), unchanged():
            result = _run(runner, *args)
        assert result.exit_code == 1, args
        assert message in result.output, result.output
    missing = _run(runner, "--org", "IT-MININT")
    assert missing.exit_code == 2 and "--set" in missing.output
    assert _run(runner, "--set").exit_code == 2
    assert not _flag(app, "UK-HO") and not _flag(app, "IT-MININT")
