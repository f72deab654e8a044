"""The OpenAPI document a node serves: the body models its raw-body routes reference, and no FastAPI 422 body.

Routes that read their request body themselves (signed submissions, status list versions, the exporter's
strictly parsed operator bodies) declare it in ``openapi_extra`` by ``$ref`` to
``#/components/schemas/<Model>``; ``install_openapi`` adds those models' schemas to the document. Request
validation failures are 400 problems (``node_core.problems``), never FastAPI's default 422 body
(``HTTPValidationError``), so that answer is dropped from every operation; a 422 that a route documents as
a problem of its own (``STATUS_LIST_INVALID``, the exporter's consignment pre-check) stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

__all__ = ["install_openapi"]

_REF_TEMPLATE = "#/components/schemas/{model}"
#: FastAPI's own validation-error models, unused once its 422 answers are gone.
_FASTAPI_VALIDATION_MODELS = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI, body_models: Iterable[type[BaseModel]] = ()) -> None:
    """Make ``app.openapi()`` carry ``body_models`` (and the models they use) and no FastAPI 422 answer."""
    models = tuple(body_models)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = original()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if models:
            _, extra = models_json_schema([(model, "validation") for model in models], ref_template=_REF_TEMPLATE)
            for name, schema in extra.get("$defs", {}).items():
                schemas.setdefault(name, schema)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    responses.pop("422")
        for name in _FASTAPI_VALIDATION_MODELS:
            schemas.pop(name, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
