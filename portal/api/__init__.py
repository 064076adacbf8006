"""The REST API under /api/v1: personal API tokens, JSON, an OpenAPI 3.1 description."""
