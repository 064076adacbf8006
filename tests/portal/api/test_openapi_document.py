"""/api/v1/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator), every
response described in plain text."""

from __future__ import annotations

from openapi_spec_validator import OpenAPIV31SpecValidator


def test_the_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    errors = [
        f"{list(e.path)}: {e.message[:200]}" for e in OpenAPIV31SpecValidator(spec).iter_errors()
    ]
    assert errors == []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, answer in operation["responses"].items():
                if "$ref" not in answer:
                    assert isinstance(answer["description"], str), (path, method, code)
