"""API views: the signed checkpoints of the audit chain, for members to keep on their own systems.

A member that keeps these can later prove the portal's audit log was cut back or rewritten:
``flask audit verify --checkpoint FILE`` (or any Ed25519 and ML-DSA-65 verifier) checks them.
"""

from __future__ import annotations

import base64

from flask import Response, jsonify, url_for

from portal.access import api_token
from portal.api.blueprint import blueprint
from portal.services.operations import anchors


@blueprint.route("/audit/checkpoints", methods=["GET"])
@api_token
def audit_checkpoints() -> Response:
    """Every signed checkpoint the portal stores, and the keys that sign them.
    ---
    get:
      summary: List the signed checkpoints of the audit chain
      description: >
        Each checkpoint states that audit record `seq` had hash `head` at time `at`, signed
        with Ed25519 and ML-DSA-65 keys derived from the portal's master key. Keep them: a
        later log whose record `seq` is gone or differs was cut back or rewritten.
      responses:
        "200":
          description: The checkpoints, oldest first, and the signing keys (base64)
          content:
            application/json:
              schema:
                type: object
                properties:
                  public_keys:
                    type: object
                    properties:
                      ed25519: {type: string}
                      mldsa65: {type: string}
                  checkpoints:
                    type: array
                    items:
                      type: object
                      properties:
                        name: {type: string}
                        seq: {type: integer}
                        head: {type: string}
                        at: {type: string}
                        url: {type: string}
        "401": {$ref: "#/components/responses/Unauthorised"}
    """
    ed25519, mldsa65 = anchors.public_keys()
    items = [
        {
            "name": item.name,
            "seq": item.checkpoint.seq,
            "head": item.checkpoint.head.hex(),
            "at": item.checkpoint.at,
            "url": url_for("api.audit_checkpoint", name=item.name),
        }
        for item in anchors.stored()
        if item.checkpoint is not None
    ]
    return jsonify(
        {
            "public_keys": {
                "ed25519": base64.b64encode(ed25519).decode(),
                "mldsa65": base64.b64encode(mldsa65).decode(),
            },
            "checkpoints": items,
        }
    )


@blueprint.route("/audit/checkpoints/<name>", methods=["GET"])
@api_token
def audit_checkpoint(name: str) -> Response:
    """One signed checkpoint, as stored (the file ``flask audit verify --checkpoint`` reads).
    ---
    get:
      summary: Download one signed checkpoint
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The signed checkpoint
          content:
            application/json:
              schema:
                type: object
                properties:
                  seq: {type: integer}
                  head: {type: string}
                  at: {type: string}
                  ed25519_public: {type: string}
                  mldsa65_public: {type: string}
                  ed25519_signature: {type: string}
                  mldsa65_signature: {type: string}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    response = Response(anchors.read(name), mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response
