"""API view: one attachment of a bulletin, verified and decrypted.

Same service, same access rules as the web page's download link.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify

from portal.access import api_token
from portal.api.blueprint import blueprint
from portal.services.bulletins import downloads as attachment_download
from portal.token_auth import actor, reader


@blueprint.route("/bulletins/<bulletin_id>/attachments/<int:index>", methods=["GET"])
@api_token
def attachment(bulletin_id: str, index: int) -> Response:
    """One attachment, verified and decrypted.
    ---
    get:
      summary: Download an attachment
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
        - name: index
          in: path
          required: true
          schema: {type: integer, minimum: 0, maximum: 2147483647}
      responses:
        "200": {description: The file}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    try:
        download = attachment_download.download(reader(), actor(), bulletin_id, index)
    except attachment_download.AttachmentTampered:
        body = {
            "error": {"code": 409, "message": "The attachment failed verification.", "field": None}
        }
        return Response(jsonify(body).get_data(), status=409, mimetype="application/json")
    response = Response(download.data, mimetype=download.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(download.filename)}"
    )
    return response
