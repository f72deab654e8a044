"""UNTP 0.6.1 Digital Traceability Events as GS1 EPCIS 2.0 events and ``EPCISDocument``\\ s. Pure.

A ``DigitalTraceabilityEvent`` credential carries an array of UNTP events in ``credentialSubject``
(docs/design.md §4). :func:`epcis_events` maps each to the EPCIS 2.0 JSON/JSON-LD form, member by member:

==========================================  ===============================================================
UNTP DTE event                              EPCIS 2.0 event
==========================================  ===============================================================
``type`` ``["ObjectEvent", "Event"]``,      ``type`` ``ObjectEvent`` / ``TransformationEvent`` (the first
``["TransformationEvent", "Event"]``        element; EPCIS 2.0 section 7.4, event types)
``id``                                      ``eventID``
``eventTime``, ``eventTimeZoneOffset``      the same (section 7.3.4, the "When" dimension)
``action`` ``add|observe|delete``           ``action`` ``ADD|OBSERVE|DELETE`` (section 7.3.2; ObjectEvent only)
``epcList``, ``inputEPCList``,              lists of the items' ``id`` (the "What" dimension; ``name`` and
``outputEPCList`` (UNTP ``Item``\\ s)         ``type`` are dropped)
``quantityList``, ``inputQuantityList``,    ``{"epcClass": productId, "quantity", "uom"}`` (section 7.3.3.1,
``outputQuantityList``                      QuantityElement; ``productName`` and ``type`` are dropped)
``bizStep``, ``disposition``                the same CBV 2.0 bare names (the "Why" dimension)
``readPoint`` ``{"id"}``                    the same (the "Where" dimension)
``bizLocation`` (a URI)                     ``bizLocation`` ``{"id": URI}``
``bizTransactionList``                      the same ``{"type": CBV btt, "bizTransaction": URI}``
``sourceList``, ``destinationList``         the same ``{"type": CBV sdt, "source"|"destination": URI}``
``processType``, ``hsCode``,                user extension members ``pilot:processType``, ``pilot:hsCode``,
``sourceFacility``                          ``pilot:sourceFacility`` (section 6.3, extension mechanisms;
                                            the ``pilot`` prefix is declared in the document's ``@context``)
==========================================  ===============================================================

The mapping is total for what the pilot emits and refuses everything else rather than produce an
invalid EPCIS event silently: a member outside the table, an event type other than the two above, a
business step, disposition, business transaction type or source/destination type that is not a CBV 2.0
bare name (URIs are refused too: the pilot's profile uses CBV 2.0 values only), a value that is not a
URI where EPCIS wants one, a unit that is not a UN/ECE Rec 20 code, an ObjectEvent without ``action``
or without any ``epcList``/``quantityList``, a TransformationEvent with an ``action`` or without both
inputs and outputs. Every finding is reported at once as a ``VerificationError`` (``SCHEMA_INVALID``,
with a JSON pointer into the credential).

:func:`epcis_document` puts the events of several credentials into one ``EPCISDocument`` (``@context``,
``type``, ``schemaVersion`` ``2.0``, ``creationDate``, ``id``, optional ``sender`` / ``receiver``,
``epcisBody.eventList``), ordered by ``eventTime`` then ``eventID``; an event carried twice is listed
once (the same ``eventID`` with other content is refused).

The CBV tuples below are the CBV 2.0 standard vocabularies (GS1 Core Business Vocabulary 2.0:
business steps ``https://ref.gs1.org/cbv/BizStep-``, dispositions ``.../Disp-``, business transaction
types ``.../BTT-``, source/destination types ``.../SDT-``), in the order of the enums of the GS1 EPCIS
2.0 JSON Schema (``definitions`` ``bizStep``, ``disposition``, ``bizTransaction-type``,
``source-dest-type``); a test compares them with that schema. The output is meant to validate against
that schema (``EPCIS-JSON-Schema.json``, gs1/EPCIS); the tests check it does, the module does not need it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from schemas.codes import Code
from schemas.errors import Reason, VerificationError
from schemas.jose import credential_payload
from schemas.models.event import BIZ_STEPS, BIZ_TRANSACTION_TYPES, DISPOSITIONS, SOURCE_DEST_TYPES
from schemas.time import format_time, parse_time

__all__ = [
    "CBV_BIZ_STEPS",
    "CBV_BIZ_TRANSACTION_TYPES",
    "CBV_DISPOSITIONS",
    "CBV_SOURCE_DEST_TYPES",
    "DTE_TYPE",
    "EPCIS_CONTEXT",
    "EPCIS_SCHEMA_VERSION",
    "PILOT_EPCIS_NAMESPACE",
    "dte_credentials",
    "epcis_document",
    "epcis_events",
]

#: The credential type whose subject is an array of UNTP events.
DTE_TYPE = "DigitalTraceabilityEvent"
#: The EPCIS 2.0 JSON-LD context, and the namespace of the pilot's extension members (prefix ``pilot``).
EPCIS_2_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PILOT_EPCIS_NAMESPACE = "https://pilot.example/ns/agri-export/v1#"
#: An EPCIS document's ``@context``: the EPCIS 2.0 context, then the ``pilot`` prefix.
EPCIS_CONTEXT: tuple[str | dict[str, str], ...] = (EPCIS_2_CONTEXT, {"pilot": PILOT_EPCIS_NAMESPACE})
EPCIS_SCHEMA_VERSION = "2.0"

# The CBV 2.0 lists are the record model's (schemas.models.event), under the names EPCIS readers expect.
#: CBV 2.0 business steps (bare names).
CBV_BIZ_STEPS: tuple[str, ...] = BIZ_STEPS
#: CBV 2.0 dispositions (bare names).
CBV_DISPOSITIONS: tuple[str, ...] = DISPOSITIONS
#: CBV 2.0 business transaction types (bare names).
CBV_BIZ_TRANSACTION_TYPES: tuple[str, ...] = BIZ_TRANSACTION_TYPES
#: CBV 2.0 source/destination types (bare names).
CBV_SOURCE_DEST_TYPES: tuple[str, ...] = SOURCE_DEST_TYPES

_ACTIONS = {"add": "ADD", "observe": "OBSERVE", "delete": "DELETE"}
_EVENT_TYPES = ("ObjectEvent", "TransformationEvent")
# RFC 3986 section 3: an absolute URI (scheme ":" ...), characters allowed in it, optional fragment.
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
    r"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?"
)
# RFC 3339 section 5.6 date-time.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
# The EPCIS 2.0 JSON Schema's eventTimeZoneOffset pattern.
_TZ_OFFSET = re.compile(r"[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)")
# UN/ECE Recommendation 20 unit code, as the EPCIS 2.0 JSON Schema's ``uom`` pattern.
_UOM = re.compile(r"[A-Z0-9]{2,3}")

_MISSING = object()
#: Converts one UNTP member's value (at a JSON pointer) to its EPCIS value, or ``_MISSING`` after a finding.
_Converter = Callable[[Any, str, "_Findings"], Any]


class _Findings:
    """The problems found in one credential, with JSON pointers relative to it."""

    def __init__(self) -> None:
        self.problems: list[Reason] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Reason(Code.SCHEMA_INVALID, path, message))

    def raise_any(self) -> None:
        if self.problems:
            raise VerificationError(list(self.problems))


def _pointer(path: str, name: str | int) -> str:
    return f"{path}/{str(name).replace('~', '~0').replace('/', '~1')}"


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and _URI.fullmatch(value) is not None


def _uri(value: Any, path: str, found: _Findings) -> Any:
    if not _is_uri(value):
        found.add(path, "not an absolute URI (RFC 3986), as EPCIS 2.0 requires here")
        return _MISSING
    return value


def _text(value: Any, path: str, found: _Findings) -> Any:
    if not isinstance(value, str) or not value:
        found.add(path, "not a non-empty string")
        return _MISSING
    return value


def _vocabulary(values: tuple[str, ...], what: str) -> _Converter:
    def check(value: Any, path: str, found: _Findings) -> Any:
        if not isinstance(value, str) or value not in values:
            found.add(path, f"not a CBV 2.0 {what} (a bare name such as {values[0]!r})")
            return _MISSING
        return value

    return check


_biz_step = _vocabulary(CBV_BIZ_STEPS, "business step")
_disposition = _vocabulary(CBV_DISPOSITIONS, "disposition")
_btt = _vocabulary(CBV_BIZ_TRANSACTION_TYPES, "business transaction type")
_sdt = _vocabulary(CBV_SOURCE_DEST_TYPES, "source/destination type")


def _event_time(value: Any, path: str, found: _Findings) -> Any:
    if not isinstance(value, str) or _DATE_TIME.fullmatch(value) is None:
        found.add(path, "not an RFC 3339 date-time")
        return _MISSING
    try:
        parse_time(value)
    except VerificationError:
        found.add(path, "not a valid date-time")
        return _MISSING
    return value


def _offset(value: Any, path: str, found: _Findings) -> Any:
    if not isinstance(value, str) or _TZ_OFFSET.fullmatch(value) is None:
        found.add(path, "not a time zone offset such as '+03:00'")
        return _MISSING
    return value


def _action(value: Any, path: str, found: _Findings) -> Any:
    if not isinstance(value, str) or value not in _ACTIONS:
        found.add(path, "not one of 'add', 'observe', 'delete'")
        return _MISSING
    return _ACTIONS[value]


def _object(value: Any, path: str, found: _Findings, allowed: Iterable[str]) -> Mapping[str, Any] | None:
    """``value`` when it is an object with members in ``allowed`` only (each other one is a finding)."""
    if not isinstance(value, Mapping):
        found.add(path, "not an object")
        return None
    names = set(allowed)
    for name in value:
        if name not in names:
            found.add(_pointer(path, name), f"member {name!r} has no EPCIS 2.0 mapping here")
    return value


def _required(value: Mapping[str, Any], name: str, path: str, found: _Findings) -> Any:
    if name not in value:
        found.add(_pointer(path, name), f"{name!r} is required")
        return _MISSING
    return value[name]


def _required_checked(value: Mapping[str, Any], name: str, path: str, found: _Findings, check: _Converter) -> Any:
    """Member ``name`` of ``value`` when it is there and passes ``check``; else ``_MISSING`` after a finding."""
    member = _required(value, name, path, found)
    return _MISSING if member is _MISSING else check(member, _pointer(path, name), found)


def _list(value: Any, path: str, found: _Findings) -> list[Any] | None:
    if not isinstance(value, list):
        found.add(path, "not an array")
        return None
    return value


def _objects(
    items: list[Any], path: str, found: _Findings, allowed: Iterable[str]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each item of ``items`` that is an object (``_object``), with its pointer; the others are findings."""
    for i, item in enumerate(items):
        where = _pointer(path, i)
        member = _object(item, where, found, allowed)
        if member is not None:
            yield where, member


def _read_point(value: Any, path: str, found: _Findings) -> Any:
    point = _object(value, path, found, ("id",))
    if point is None:
        return _MISSING
    return _wrap_id(_required_checked(point, "id", path, found, _uri))


def _wrap_id(uri: Any) -> Any:
    return _MISSING if uri is _MISSING else {"id": uri}


def _biz_location(value: Any, path: str, found: _Findings) -> Any:
    return _wrap_id(_uri(value, path, found))


def _epc_list(value: Any, path: str, found: _Findings) -> Any:
    items = _list(value, path, found)
    if items is None:
        return _MISSING
    ids: list[str] = []
    for where, member in _objects(items, path, found, ("type", "id", "name")):
        uri = _required_checked(member, "id", where, found, _uri)
        if uri is not _MISSING:
            if uri in ids:
                found.add(_pointer(where, "id"), "the same item twice (EPCIS lists are sets)")
            else:
                ids.append(uri)
    return ids


def _quantity_list(value: Any, path: str, found: _Findings) -> Any:
    items = _list(value, path, found)
    if items is None:
        return _MISSING
    mapped: list[dict[str, Any]] = []
    for where, member in _objects(items, path, found, ("type", "productId", "productName", "quantity", "uom")):
        element: dict[str, Any] = {}
        product = _required_checked(member, "productId", where, found, _uri)
        if product is not _MISSING:
            element["epcClass"] = product
        if "productName" in member:
            _text(member["productName"], _pointer(where, "productName"), found)
        if "quantity" in member:
            quantity = member["quantity"]
            if isinstance(quantity, bool) or not isinstance(quantity, int | float) or not math.isfinite(quantity):
                found.add(_pointer(where, "quantity"), "not a number")
            else:
                element["quantity"] = quantity
        if "uom" in member:
            uom = member["uom"]
            if not isinstance(uom, str) or _UOM.fullmatch(uom) is None:
                found.add(_pointer(where, "uom"), "not a UN/ECE Rec 20 unit code such as 'KGM'")
            elif "quantity" not in member:
                found.add(_pointer(where, "uom"), "a unit without a quantity")
            else:
                element["uom"] = uom
        mapped.append(element)
    return mapped


def _typed_list(party: str, type_check: _Converter, *, type_required: bool) -> _Converter:
    """``bizTransactionList`` / ``sourceList`` / ``destinationList``: ``[{"type", party: URI}]`` unchanged."""

    def convert(value: Any, path: str, found: _Findings) -> Any:
        items = _list(value, path, found)
        if items is None:
            return _MISSING
        mapped: list[dict[str, Any]] = []
        for where, member in _objects(items, path, found, ("type", party)):
            element: dict[str, Any] = {}
            if "type" in member or type_required:
                kind = _required_checked(member, "type", where, found, type_check)
                if kind is not _MISSING:
                    element["type"] = kind
            uri = _required_checked(member, party, where, found, _uri)
            if uri is not _MISSING:
                element[party] = uri
            mapped.append(element)
        return mapped

    return convert


# (UNTP member, EPCIS member, converter), in the order the EPCIS members are written.
_Member = tuple[str, str, _Converter]


def _same(name: str, converter: _Converter) -> _Member:
    """A member EPCIS 2.0 writes under the name UNTP gives it."""
    return (name, name, converter)


_HEAD: tuple[_Member, ...] = (
    ("id", "eventID", _uri),
    _same("eventTime", _event_time),
    _same("eventTimeZoneOffset", _offset),
)
_OBJECT_WHAT: tuple[_Member, ...] = (
    _same("action", _action),
    _same("epcList", _epc_list),
    _same("quantityList", _quantity_list),
)
_TRANSFORMATION_WHAT: tuple[_Member, ...] = (
    _same("inputEPCList", _epc_list),
    _same("inputQuantityList", _quantity_list),
    _same("outputEPCList", _epc_list),
    _same("outputQuantityList", _quantity_list),
)
_TAIL: tuple[_Member, ...] = (
    _same("bizStep", _biz_step),
    _same("disposition", _disposition),
    _same("readPoint", _read_point),
    _same("bizLocation", _biz_location),
    _same("bizTransactionList", _typed_list("bizTransaction", _btt, type_required=False)),
    _same("sourceList", _typed_list("source", _sdt, type_required=True)),
    _same("destinationList", _typed_list("destination", _sdt, type_required=True)),
    ("processType", "pilot:processType", _text),
    ("hsCode", "pilot:hsCode", _text),
    ("sourceFacility", "pilot:sourceFacility", _uri),
)
_REQUIRED = {"id", "eventTime", "eventTimeZoneOffset"}
_MEMBERS = {
    "ObjectEvent": (*_HEAD, *_OBJECT_WHAT, *_TAIL),
    "TransformationEvent": (*_HEAD, *_TRANSFORMATION_WHAT, *_TAIL),
}


def _event_type(value: Any, path: str, found: _Findings) -> str | None:
    if (
        not isinstance(value, list)
        or not value
        or value[0] not in _EVENT_TYPES
        or "Event" not in value
        or any(name not in (value[0], "Event") for name in value)
    ):
        found.add(path, "not ['ObjectEvent', 'Event'] or ['TransformationEvent', 'Event']: no other event is mapped")
        return None
    return str(value[0])


def _map_event(event: Any, path: str, found: _Findings) -> dict[str, Any] | None:
    if not isinstance(event, Mapping):
        found.add(path, "an event is not an object")
        return None
    kind = _event_type(event.get("type"), _pointer(path, "type"), found)
    if kind is None:
        return None
    members = _MEMBERS[kind]
    known = {"type"} | {untp for untp, _, _ in members}
    for name in event:
        if name not in known:
            why = (
                "a TransformationEvent has no action in EPCIS 2.0"
                if name == "action"
                else "it has no EPCIS 2.0 mapping"
            )
            found.add(_pointer(path, name), f"member {name!r} is refused: {why}")
    required = _REQUIRED | ({"action"} if kind == "ObjectEvent" else set())
    mapped: dict[str, Any] = {"type": kind}
    for untp, epcis, convert in members:
        if untp not in event:
            if untp in required:
                found.add(_pointer(path, untp), f"{untp!r} is required")
            continue
        value = convert(event[untp], _pointer(path, untp), found)
        if value is not _MISSING:
            mapped[epcis] = value
    if kind == "ObjectEvent" and "epcList" not in event and not event.get("quantityList"):
        found.add(path, "an ObjectEvent needs an epcList or a non-empty quantityList")
    if kind == "TransformationEvent":
        for side in ("input", "output"):
            if not event.get(f"{side}EPCList") and not event.get(f"{side}QuantityList"):
                found.add(path, f"a TransformationEvent needs a non-empty {side}EPCList or {side}QuantityList")
    return mapped


def _has_type(document: Any, name: str) -> bool:
    if not isinstance(document, Mapping):
        return False
    declared = document.get("type")
    return declared == name or (isinstance(declared, list) and name in declared)


def dte_credentials(credentials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``DigitalTraceabilityEvent`` credentials among ``credentials``, in order.

    An ``EnvelopedVerifiableCredential`` is decoded (its JWS payload, no signature check: this selects,
    it does not verify); a malformed one raises ``VerificationError``. Items that are not objects are
    skipped.
    """
    return [dict(document) for document in map(credential_payload, credentials) if _has_type(document, DTE_TYPE)]


def epcis_events(dte_credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The EPCIS 2.0 events of one ``DigitalTraceabilityEvent`` credential, in its subject's order.

    The credential may carry an embedded proof or none (the proof is not read, nor checked), or be an
    ``EnvelopedVerifiableCredential`` (its payload is decoded, not verified). Raises ``VerificationError``
    (``SCHEMA_INVALID``) with every finding when the credential or one of its events does not map.
    """
    credential = credential_payload(dte_credential)
    found = _Findings()
    if not _has_type(credential, DTE_TYPE):
        found.add("/type", f"not a {DTE_TYPE} credential")
        found.raise_any()
    subject = credential.get("credentialSubject")
    if not isinstance(subject, list) or not subject:
        found.add("/credentialSubject", "not a non-empty array of events")
        found.raise_any()
    assert isinstance(subject, list)
    events = [_map_event(event, f"/credentialSubject/{i}", found) for i, event in enumerate(subject)]
    found.raise_any()
    return [event for event in events if event is not None]


def _creation_date(created: datetime | str) -> str:
    if isinstance(created, datetime):
        if created.tzinfo is None:
            raise VerificationError.single(Code.SCHEMA_INVALID, "/creationDate", "a naive datetime")
        return format_time(created)
    found = _Findings()
    value = _event_time(created, "/creationDate", found)
    found.raise_any()
    return str(value)


def epcis_document(
    dte_credentials: Iterable[Mapping[str, Any]],
    *,
    document_id: str,
    created: datetime | str,
    sender: str | None = None,
    receiver: str | None = None,
) -> dict[str, Any]:
    """An EPCIS 2.0 ``EPCISDocument`` holding the events of ``dte_credentials``.

    Events are ordered by ``eventTime`` (as instants) then ``eventID``; an event found in several
    credentials is listed once. ``created`` (an aware datetime, or an RFC 3339 string kept as given)
    is the ``creationDate``. Raises ``VerificationError`` (``SCHEMA_INVALID``) when a credential does
    not map (paths are prefixed with the credential's position in ``dte_credentials``), when
    ``document_id`` is not a URI, or when one ``eventID`` names two different events.
    """
    if not _is_uri(document_id):
        raise VerificationError.single(Code.SCHEMA_INVALID, "/id", "the document id is not an absolute URI")
    creation_date = _creation_date(created)
    problems: list[Reason] = []
    by_id: dict[str, dict[str, Any]] = {}
    for i, credential in enumerate(dte_credentials):
        try:
            events = epcis_events(credential)
        except VerificationError as exc:
            problems += [Reason(p.code, f"/{i}{p.path}", p.message, p.severity) for p in exc.problems]
            continue
        for j, event in enumerate(events):
            seen = by_id.setdefault(event["eventID"], event)
            if seen != event:
                problems.append(
                    Reason(
                        Code.SCHEMA_INVALID,
                        f"/{i}/credentialSubject/{j}/id",
                        "an eventID already used by another event",
                    )
                )
    if problems:
        raise VerificationError(problems)
    ordered = sorted(by_id.values(), key=lambda event: (parse_time(event["eventTime"]), event["eventID"]))
    document: dict[str, Any] = {
        "@context": [dict(item) if isinstance(item, dict) else item for item in EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": EPCIS_SCHEMA_VERSION,
        "creationDate": creation_date,
        "id": document_id,
    }
    if sender is not None:
        document["sender"] = sender
    if receiver is not None:
        document["receiver"] = receiver
    document["epcisBody"] = {"eventList": ordered}
    return document
