"""Conventions shared by every wire model: the strict base class, data categories, roles and field categories.

Every property of every model carries one data category (docs/design.md §8), declared with
:func:`cat_field` and visible in the generated JSON Schema as ``x-data-category``. A port finds the
fields it may not receive with :func:`field_categories`.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, get_args, get_origin

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


#: Value types that never hold a model, at any depth: a field typed with only these needs no walk.
_LEAF_TYPES = (str, bytes, int, float, enum.Enum, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)
#: Value types that ``_walk`` enters (a leaf type that is also one of these is still entered).
_ENTERED_TYPES = (BaseModel, list, tuple, dict)


def _may_hold_model(annotation: Any) -> bool:
    """False only when no value of type ``annotation`` can hold a model at any depth; True when unsure.

    ``_walk`` reports nothing for a value without models, so a field is skipped only when its type
    says so for certain (``str``, ``list[float]``, ``Literal[...]``, ``datetime | None``); ``Any``,
    bare containers and anything unknown are walked as before.
    """
    if annotation is type(None):
        return False
    origin = get_origin(annotation)
    if origin is Literal:
        return False
    if origin is Annotated:
        return _may_hold_model(get_args(annotation)[0])
    if origin is not None:
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        return not args or any(_may_hold_model(arg) for arg in args)
    if isinstance(annotation, type):
        return not issubclass(annotation, _LEAF_TYPES) or issubclass(annotation, _ENTERED_TYPES)
    return True  # Any, a TypeVar, a forward reference...


class _FieldPlan(NamedTuple):
    """What classifying one field of a model class takes, worked out once per class."""

    name: str
    #: ``/`` and the wire name, escaped as a JSON pointer segment.
    segment: str
    #: None for a field declared without a valid category (a bug: ``category_of`` raises when such a
    #: field is present, as it did before plans).
    category: DataCategory | None
    #: False when the field's type can never hold a model, so its value is not walked.
    walk: bool


_PLANS: dict[type[BaseModel], tuple[_FieldPlan, ...]] = {}


def _plan(model: type[BaseModel]) -> tuple[_FieldPlan, ...]:
    """The fields of ``model`` in declaration order with their category and whether to walk them (cached)."""
    plan = _PLANS.get(model)
    if plan is None:
        fields = []
        for name, info in model.model_fields.items():
            try:
                category: DataCategory | None = category_of(model, name)
            except (TypeError, ValueError):
                category = None
            segment = "/" + _escape(info.alias or name)
            fields.append(_FieldPlan(name, segment, category, _may_hold_model(info.annotation)))
        plan = _PLANS[model] = tuple(fields)
    return plan


def _walk(value: Any, pointer: str, out: list[tuple[str, DataCategory]]) -> None:
    """The categories of the models inside ``value`` (a list, tuple or dict; other values hold none)."""
    items = enumerate(value) if isinstance(value, list | tuple) else value.items()
    for key, item in items:
        if isinstance(item, BaseModel):
            _collect(item, f"{pointer}/{key}" if type(key) is int else f"{pointer}/{_escape(str(key))}", out)
        elif isinstance(item, list | tuple | dict):
            _walk(item, f"{pointer}/{key}" if type(key) is int else f"{pointer}/{_escape(str(key))}", out)


def _collect(instance: BaseModel, prefix: str, out: list[tuple[str, DataCategory]]) -> None:
    model = type(instance)
    for name, segment, category, walk in _plan(model):
        value = getattr(instance, name)
        if value is None:
            continue
        pointer = prefix + segment
        out.append((pointer, category if category is not None else category_of(model, name)))
        if walk:
            if isinstance(value, BaseModel):
                _collect(value, pointer, out)
            elif isinstance(value, list | tuple | dict):
                _walk(value, pointer, out)


def field_categories(instance: BaseModel) -> list[tuple[str, DataCategory]]:
    """Every present field of ``instance``, recursively, as (JSON pointer with wire names, category).

    Objects are listed themselves and then their members; lists of models are entered item by item,
    so the pointer of a lot's weight is ``/credentialSubject/lots/0/netWeight``.
    """
    out: list[tuple[str, DataCategory]] = []
    _collect(instance, "", out)
    return out
