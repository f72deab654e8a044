"""Validation entry points: run a wire model over a parsed document and report Problems, never exceptions.

Pydantic's ValidationError never leaves this module: each error becomes a ``Reason(SCHEMA_INVALID)`` whose
path is a JSON pointer with wire names (``/credentialSubject/lots/0/hsCode``) and whose message says what
was expected and what KIND of value was found (``a string of 31 characters``, ``an integer``), never the
value itself: reasons are stored and signed into receipts, and the value may be data the port must not
keep (docs/design.md §8). A member name appears in a path or a message only when it looks like an
identifier (``MEMBER_NAME``); another unexpected member is reported at the object that holds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from schemas.codes import Code
from schemas.errors import Reason
from schemas.models.facility import DigitalFacilityRecord
from schemas.models.geometry import geometry_problems
from schemas.models.registry import CREDENTIAL_TYPES, credential_type_of

__all__ = [
    "MEMBER_NAME",
    "describe_value",
    "problems_from_validation_error",
    "semantic_problems",
    "validate_credential_payload",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)

_PYDANTIC_ERROR_TYPES = frozenset(get_args(ErrorType))


#: A member name shown in paths and messages: identifier-like and short. Others are input, not schema.
MEMBER_NAME = re.compile(r"[A-Za-z@_$][A-Za-z0-9@_$.:-]{0,63}")

#: The clause with which our own validators' messages report the value they found (cut, then described).
_FOUND_CLAUSE = re.compile(r"[,;] found\b")


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _shown(name: str) -> bool:
    return MEMBER_NAME.fullmatch(name) is not None


def _walk(loc: Sequence[int | str], doc: Any) -> tuple[list[str], Any, bool]:
    """``loc`` walked through ``doc``: (pointer segments, the value reached, whether the whole loc was shown).

    Union-member tags (``literal[...]``, ``str``) are dropped; the walk stops before a member name that
    is not shown (``MEMBER_NAME``), so such a name never reaches a path.
    """
    segments: list[str] = []
    node: Any = doc
    for position, item in enumerate(loc):
        last = position == len(loc) - 1
        if item == "[key]":
            continue
        if isinstance(node, Mapping) and isinstance(item, str):
            if item in node:
                if not _shown(item):
                    return segments, node, False
                segments.append(item)
                node = node[item]
            elif last and "[" not in item:
                if not _shown(item):
                    return segments, node, False
                segments.append(item)  # a missing member: point where it should be
                node = None
            continue  # otherwise a union-member tag such as 'literal[...]' or 'str'
        if isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            segments.append(str(item))
            node = node[item]
    return segments, node, True


def _pointer(loc: Sequence[int | str], doc: Any) -> str:
    """A pydantic ``loc`` as a JSON pointer; union-member tags are dropped by walking ``doc`` alongside."""
    segments, _, _ = _walk(loc, doc)
    return "".join("/" + _escape(segment) for segment in segments)


def describe_value(value: Any) -> str:
    """The KIND of a JSON value, never its content: ``an object of 3 members``, ``a string of 12 characters``."""
    if isinstance(value, Mapping):
        return f"an object of {len(value)} member{'' if len(value) == 1 else 's'}"
    if isinstance(value, list | tuple):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else f"a string of {len(value)} character{'' if len(value) == 1 else 's'}"
    return "a value of another kind"


def _scrub(message: str, value: Any) -> str:
    """``message`` without a quoted copy of the string ``value`` (pydantic quotes a union tag, for one)."""
    if isinstance(value, str) and value:
        for quoted in {repr(value), json.dumps(value, ensure_ascii=False), f"'{value}'", f'"{value}"'}:
            message = message.replace(quoted, "the value found")
    return message


def _message(error: ErrorDetails, found: Any, name_shown: bool) -> str:
    kind = error["type"]
    loc = error["loc"]
    name = str(loc[-1]) if loc else "member"
    if kind == "missing":
        return f"required member {name!r} is missing"
    if kind == "extra_forbidden":
        if not name_shown:
            return (
                f"an unexpected member whose name ({len(name)} characters) is not an identifier: it is not "
                "part of this object's schema"
            )
        return f"unexpected member {name!r}: it is not part of this object's schema"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind not in _PYDANTIC_ERROR_TYPES:
        # Our own validators say what was expected and report what they found in a final clause; that
        # clause may quote the input, so it is replaced by the kind of the value found.
        cut = _FOUND_CLAUSE.search(message)
        if cut is not None:
            message = message[: cut.start()]
        else:
            return _scrub(message, error.get("input"))
    return f"{_scrub(message, error.get('input'))}; found {describe_value(found)}"


def problems_from_validation_error(exc: ValidationError, doc: Any, base_path: str = "") -> list[Reason]:
    """One SCHEMA_INVALID Reason per pydantic error, with JSON pointers relative to ``base_path``."""
    problems: list[Reason] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        segments, found, shown = _walk(error["loc"], doc)
        path = base_path + "".join("/" + _escape(segment) for segment in segments)
        context = error.get("ctx") or {}
        if error["type"] == "field_error" and "field" in context:
            field = str(context["field"])
            path += "/" + field
            found = _resolve(found, field)
        elif error["type"] not in ("field_error", "missing"):
            found = error.get("input")
        message = _message(error, found, shown)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Reason(Code.SCHEMA_INVALID, path, message))
    return problems


def _resolve(node: Any, relative: str) -> Any:
    """The value at a relative pointer (``keys/0/id``, our own field names) under ``node``, or None."""
    for part in relative.split("/"):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def validate_model(model: type[M], doc: Any, base_path: str = "") -> tuple[M | None, list[Reason]]:
    """Validate parsed JSON against ``model``: (instance, []) when it fits, else (None, problems)."""
    if not isinstance(doc, Mapping):
        return None, [Reason(Code.SCHEMA_INVALID, base_path, f"expected an object, found {describe_value(doc)}")]
    try:
        return model.model_validate(dict(doc)), []
    except ValidationError as exc:
        return None, problems_from_validation_error(exc, doc, base_path)


def validate_credential_payload(doc: Mapping[str, Any], base_path: str = "") -> tuple[BaseModel | None, list[Reason]]:
    """Validate a credential (its payload, proof included or not) against the model of its record type."""
    if not isinstance(doc, Mapping):
        return None, [Reason(Code.SCHEMA_INVALID, base_path, f"expected an object, found {describe_value(doc)}")]
    record_type = credential_type_of(doc)
    if record_type is None:
        known = ", ".join(sorted(CREDENTIAL_TYPES))
        found = describe_value(doc["type"]) if "type" in doc else "no type member"
        message = f"expected a type list with 'VerifiableCredential' and one of {known}; found {found}"
        return None, [Reason(Code.SCHEMA_INVALID, base_path + "/type", message)]
    return validate_model(CREDENTIAL_TYPES[record_type], doc, base_path)


def semantic_problems(model: BaseModel, base_path: str = "") -> list[Reason]:
    """Problems a valid-shaped record can still have: GEOMETRY_INVALID for a facility's polygon."""
    if isinstance(model, DigitalFacilityRecord):
        facility = model.credentialSubject.facility
        path = base_path + "/credentialSubject/facility/locationInformation/geoBoundary"
        return [
            Reason(Code.GEOMETRY_INVALID, path, message)
            for message in geometry_problems(facility.locationInformation.geoBoundary, facility.region)
        ]
    return []
