"""Validation entry points: run a wire model over a parsed document and report Problems, never exceptions.

Pydantic's ValidationError never leaves this module: each error becomes a ``Problem(SCHEMA_INVALID)`` whose
path is a JSON pointer with wire names (``/credentialSubject/lots/0/hsCode``) and whose message says what
was expected and what was found.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from schemas._models.facility import DigitalFacilityRecord
from schemas._models.geometry import geometry_problems
from schemas._models.registry import CREDENTIAL_TYPES, credential_type_of
from schemas.codes import Code
from schemas.errors import Problem

__all__ = [
    "problems_from_validation_error",
    "semantic_problems",
    "validate_credential_payload",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)

_PYDANTIC_ERROR_TYPES = frozenset(get_args(ErrorType))


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _pointer(loc: Sequence[int | str], doc: Any) -> str:
    """A pydantic ``loc`` as a JSON pointer; union-member tags are dropped by walking ``doc`` alongside."""
    segments: list[str] = []
    node: Any = doc
    for position, item in enumerate(loc):
        last = position == len(loc) - 1
        if item == "[key]":
            continue
        if isinstance(node, Mapping) and isinstance(item, str):
            if item in node:
                segments.append(item)
                node = node[item]
            elif last and "[" not in item:
                segments.append(item)  # a missing member: point where it should be
            continue  # otherwise a union-member tag such as 'literal[...]' or 'str'
        if isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            segments.append(str(item))
            node = node[item]
    return "".join("/" + _escape(segment) for segment in segments)


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if value is None:
        return "null"
    if isinstance(value, bool | int | float | str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:77] + "..."
    return type(value).__name__


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    loc = error["loc"]
    name = str(loc[-1]) if loc else "member"
    if kind == "missing":
        return f"required member {name!r} is missing"
    if kind == "extra_forbidden":
        return f"unexpected member {name!r}: it is not part of this object's schema"
    message = error["msg"]
    if kind not in _PYDANTIC_ERROR_TYPES:
        return message  # our own errors already say what was expected and what was found
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{message}; found {_describe(error.get('input'))}"


def problems_from_validation_error(exc: ValidationError, doc: Any, base_path: str = "") -> list[Problem]:
    """One SCHEMA_INVALID Problem per pydantic error, with JSON pointers relative to ``base_path``."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        path = base_path + _pointer(error["loc"], doc)
        context = error.get("ctx") or {}
        if error["type"] == "field_error" and "field" in context:
            path += "/" + str(context["field"])
        message = _message(error)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Problem(Code.SCHEMA_INVALID, path, message))
    return problems


def validate_model(model: type[M], doc: Any, base_path: str = "") -> tuple[M | None, list[Problem]]:
    """Validate parsed JSON against ``model``: (instance, []) when it fits, else (None, problems)."""
    if not isinstance(doc, Mapping):
        return None, [Problem(Code.SCHEMA_INVALID, base_path, f"expected an object, found {_describe(doc)}")]
    try:
        return model.model_validate(dict(doc)), []
    except ValidationError as exc:
        return None, problems_from_validation_error(exc, doc, base_path)


def validate_credential_payload(doc: Mapping[str, Any], base_path: str = "") -> tuple[BaseModel | None, list[Problem]]:
    """Validate a credential (its payload, proof included or not) against the model of its record type."""
    if not isinstance(doc, Mapping):
        return None, [Problem(Code.SCHEMA_INVALID, base_path, f"expected an object, found {_describe(doc)}")]
    record_type = credential_type_of(doc)
    if record_type is None:
        known = ", ".join(sorted(CREDENTIAL_TYPES))
        found = _describe(doc["type"]) if "type" in doc else "no type member"
        message = f"expected a type list with 'VerifiableCredential' and one of {known}; found {found}"
        if isinstance(doc.get("type"), list):
            message += f" {json.dumps(doc['type'], ensure_ascii=False)[:200]}"
        return None, [Problem(Code.SCHEMA_INVALID, base_path + "/type", message)]
    return validate_model(CREDENTIAL_TYPES[record_type], doc, base_path)


def semantic_problems(model: BaseModel, base_path: str = "") -> list[Problem]:
    """Problems a valid-shaped record can still have: GEOMETRY_INVALID for a facility's polygon."""
    if isinstance(model, DigitalFacilityRecord):
        facility = model.credentialSubject.facility
        path = base_path + "/credentialSubject/facility/locationInformation/geoBoundary"
        return [
            Problem(Code.GEOMETRY_INVALID, path, message)
            for message in geometry_problems(facility.locationInformation.geoBoundary, facility.region)
        ]
    return []
