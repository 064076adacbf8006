"""Transparency pages: a platform's figures (its own), a ministry's (its own referrals, and per
platform it referred to), their CSV and the yearly PDF report. The services decide who sees
which figures; anything else is a 404."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.services.transparency import figures as tf
from portal.services.transparency import pages, report

VIEWERS = (Role.PLATFORM_LIAISON, Role.LIAISON, Role.OFFICIAL)


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.route("/transparency", endpoint="transparency")
@roles_required(*VIEWERS)
def transparency() -> str:
    """The reader's own figures: their platform's, or their organisation's referrals."""
    return transparency_page(*pages.home(current_reader()))


@blueprint.route("/transparency/<side>/<code>", endpoint="transparency_page")
@roles_required(*VIEWERS)
def transparency_page(side: str, code: str) -> str:
    """One scope's figures over the chosen period, with charts and downloads."""
    shown = pages.page(current_reader(), side, code, request.args.get("period"))
    return render_template(
        "referrals/transparency.html",
        page=shown,
        f=shown.figures,
        groups=list(tf.Group),
        categories=tf.categories(),
        duration=tf.duration,
        share=tf.share,
    )


@blueprint.route("/transparency/<side>/<code>.csv", endpoint="transparency_csv")
@roles_required(*VIEWERS)
def transparency_csv(side: str, code: str) -> Response:
    name, text = pages.csv_download(current_reader(), side, code, request.args.get("period"))
    return _download(text, "text/csv", name)


@blueprint.route("/transparency/<side>/<code>/report.pdf", endpoint="transparency_report")
@roles_required(*VIEWERS)
def transparency_report(side: str, code: str) -> Response:
    made = report.yearly_report(
        current_reader(),
        current_actor(),
        side,
        code,
        request.args.get("year", ""),
        f"{current_user.name} <{current_user.email}>",
    )
    return _download(made.pdf, "application/pdf", made.filename)
