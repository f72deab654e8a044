"""Conventions shared by every wire model: the strict base class, data categories, roles and field categories.

Every property of every model carries one data category (docs/design.md §8), declared with
:func:`cat_field` and visible in the generated JSON Schema as ``x-data-category``. A port finds the
fields it may not receive with :func:`field_categories`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

__all__ = [
    "DATA_CATEGORIES",
    "CategoryValue",
    "DataCategory",
    "Opt",
    "PilotModel",
    "Role",
    "RoleValue",
    "cat_field",
    "category_of",
    "check_type",
    "field_categories",
    "field_error",
]

CATEGORY_KEY = "x-data-category"


class DataCategory(StrEnum):
    """The sensitivity class of a field (docs/design.md §8); a port policy lists the ones it may receive."""

    PUBLIC = "public"
    COMMERCIAL = "commercial"
    PERSONAL = "personal"
    PRECISE_LOCATION = "precise_location"
    ANIMAL_HEALTH = "animal_health"
    LABORATORY = "laboratory"


#: Every data category, in declaration order.
DATA_CATEGORIES: tuple[DataCategory, ...] = tuple(DataCategory)


class Role(StrEnum):
    """A participant's role in the pilot network (docs/design.md §2)."""

    EXPORTER = "exporter"
    PORT_AUTHORITY = "port_authority"
    COMPETENT_AUTHORITY = "competent_authority"
    CERTIFIER = "certifier"
    TRUST_LIST_OPERATOR = "trust_list_operator"


# Enum members arrive as plain strings from JSON: accept their values even though models are strict.
RoleValue = Annotated[Role, Strict(False)]
CategoryValue = Annotated[DataCategory, Strict(False)]


class PilotModel(BaseModel):
    """Base of every wire model: strict types, unknown members refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_member", "expected a value or no member at all, found null (omit an absent member)"
        )
    return value


T = TypeVar("T")

#: An optional member: it may be absent, but never ``null`` (the published JSON Schemas leave null out).
Opt = Annotated[T | None, BeforeValidator(_refuse_null)]


def cat_field(category: DataCategory, default: Any = ..., **kwargs: Any) -> Any:
    """``pydantic.Field`` that records the field's data category as ``x-data-category``."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra[CATEGORY_KEY] = category.value
    return Field(default, json_schema_extra=extra, **kwargs)


def category_of(model: type[BaseModel], name: str) -> DataCategory:
    """The data category declared for field ``name`` of ``model``; a field without one is a bug."""
    extra = model.model_fields[name].json_schema_extra
    if not isinstance(extra, dict) or CATEGORY_KEY not in extra:
        raise TypeError(f"{model.__name__}.{name} has no data category (declare it with cat_field)")
    return DataCategory(str(extra[CATEGORY_KEY]))


def field_error(field: str, message: str) -> PydanticCustomError:
    """A cross-field validation error that points at ``field`` (a relative JSON pointer without a leading /).

    Raise it from a model validator; the translation to a Reason appends ``field`` to the model's path.
    """
    return PydanticCustomError("field_error", message, {"field": field})


def check_type(found: Sequence[str], expected: Sequence[str]) -> None:
    """Raise a ``type`` field error unless the model's ``type`` is exactly ``expected`` (both lists)."""
    if found != expected:
        raise field_error("type", f"expected type {expected}, found {found}")


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _walk(value: Any, pointer: str, out: list[tuple[str, DataCategory]]) -> None:
    if isinstance(value, BaseModel):
        _collect(value, pointer, out)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{pointer}/{index}", out)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{pointer}/{_escape(str(key))}", out)


def _collect(instance: BaseModel, prefix: str, out: list[tuple[str, DataCategory]]) -> None:
    model = type(instance)
    for name, info in model.model_fields.items():
        value = getattr(instance, name)
        if value is None:
            continue
        pointer = f"{prefix}/{_escape(info.alias or name)}"
        out.append((pointer, category_of(model, name)))
        _walk(value, pointer, out)


def field_categories(instance: BaseModel) -> list[tuple[str, DataCategory]]:
    """Every present field of ``instance``, recursively, as (JSON pointer with wire names, category).

    Objects are listed themselves and then their members; lists of models are entered item by item,
    so the pointer of a lot's weight is ``/credentialSubject/lots/0/netWeight``.
    """
    out: list[tuple[str, DataCategory]] = []
    _collect(instance, "", out)
    return out
