"""Comments and sightings on the read page: the form posts here, and a refusal shows the read
page again with the message next to the field (4xx), nothing written."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.bulletins.blueprint import blueprint
from portal.bulletins.comment_forms import CommentForm
from portal.bulletins.read_page import read_page
from portal.principal import current_actor, current_reader
from portal.services.bulletins import comments, reading
from portal.services.bulletins.access import visible_bulletin
from portal.services.errors import NotFound, ServiceError


@blueprint.route("/<bulletin_id>/comments", methods=["GET", "POST"])
@signed_in
def comment(bulletin_id: str) -> Response | tuple[str, int]:
    """Add a comment or a sighting to a bulletin the user's organisation can read. A GET (the
    address bar after a refused form, reloaded or bookmarked) leads to the comments."""
    reader = current_reader()
    if request.method == "GET":
        visible_bulletin(reader, bulletin_id)  # 404 for anyone else, as the read page
        return redirect(url_for("bulletins.read", bulletin_id=bulletin_id, _anchor="comments"))
    form = CommentForm()
    status = 400
    if form.validate():
        try:
            made = comments.post_comment(reader, current_actor(), bulletin_id, form.document())
        except NotFound:
            raise
        except ServiceError as error:
            status = error.status
            form.show_error(error.field, error.message)
        else:
            if made.kind == "sighting":
                flash(gettext("Sighting added, sealed to this bulletin's recipients."), "success")
            else:
                flash(gettext("Comment added, sealed to this bulletin's recipients."), "success")
            target = url_for("bulletins.read", bulletin_id=bulletin_id, _anchor="comments")
            return redirect(target)
    result = reading.read_bulletin(reader, current_actor(), bulletin_id)
    page = read_page(reader, result, comment_form=form)
    return render_template("bulletins/read.html", page=page), status
