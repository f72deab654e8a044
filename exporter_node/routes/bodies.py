"""Request bodies: read within the size limit, parse strictly, validate, and document them in OpenAPI.

Operator bodies are parsed with ``schemas.jsonio`` like a port's (no NaN, duplicate keys or huge
integers reach the signing code) and validated by the modules that own them, so a bad body is a 400
with a stable code, never a 500. ``documented_body`` declares the body's schema for ``/openapi.json``;
``documented_models`` names the models so declared, which the app passes to ``node_core.app.create_node_app``
(``node_core.openapi`` adds them to the document's components).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from exporter_node.errors import InputRefusedError
from node_core.body import parse_json_body, read_limited_body, require_json_media_type
from node_core.problems import PROBLEM_MEDIA_TYPE
from schemas.models.validate import problems_from_validation_error

__all__ = ["documented_body", "documented_models", "json_body", "parse_model"]

M = TypeVar("M", bound=BaseModel)
_BODY_MODELS: dict[str, type[BaseModel]] = {}


async def json_body(request: Request) -> Any:
    """The request body (``Content-Type: application/json``), within the node's size limit, parsed as strict JSON."""
    require_json_media_type(request.headers)
    body = await read_limited_body(request, request.app.state.settings.max_body_bytes)
    return parse_json_body(body)


def parse_model(model: type[M], document: Any) -> M:
    """``document`` validated as ``model``; InputRefusedError (SCHEMA_INVALID, every problem) otherwise."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InputRefusedError(problems_from_validation_error(exc, document)) from exc


def documented_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body of ``model``."""
    _BODY_MODELS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        },
        # Every JSON body may also be refused as too slow (node_core.body) or of another media type.
        "responses": {
            str(status): {
                "description": f"Problem details (RFC 9457): {meaning}",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
            }
            for status, meaning in ((408, "REQUEST_TIMEOUT"), (415, "UNSUPPORTED_MEDIA_TYPE"))
        },
    }


def documented_models() -> tuple[type[BaseModel], ...]:
    """Every model ``documented_body`` declared (the route modules' imports declared them all)."""
    return tuple(_BODY_MODELS.values())
