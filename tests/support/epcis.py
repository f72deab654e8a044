"""UNTP Digital Traceability Event credentials written by hand, and the GS1 EPCIS 2.0 JSON Schema to check against.

credential = dte_credential([dte_event("ObjectEvent", "urn:uuid:...", "2026-03-02T08:00:00Z", "shipping",
                                       "in_transit", plant, action="observe", epcList=[...])],
                            "urn:uuid:...", "did:web:pilot.example:ru-exp-01", "ru-exp-01")
schema_errors(gs1_validator(reference_dir), document)   # [] when the document is valid EPCIS 2.0
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema_rs

__all__ = ["DTE_CONTEXT", "dte_credential", "dte_event", "gs1_validator", "read_gs1_schema", "schema_errors"]

#: The @context of a DigitalTraceabilityEvent credential in the UNTP 0.6.1 shape.
DTE_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://test.uncefact.org/vocabulary/untp/dte/0.6.1/",
    "https://pilot.example/ns/agri-export/v1",
]


def dte_event(
    kind: str,
    event_id: str,
    event_time: str,
    biz_step: str,
    disposition: str,
    read_point: str,
    hs_code: str = "020714",
    **members: Any,
) -> dict[str, Any]:
    """A UNTP event of ``kind`` (``ObjectEvent``, ``TransformationEvent``) at ``read_point``, at +03:00."""
    return {
        "type": [kind, "Event"],
        "id": event_id,
        "eventTime": event_time,
        "eventTimeZoneOffset": "+03:00",
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": read_point},
        "hsCode": hs_code,
        **members,
    }


def dte_credential(
    events: Iterable[dict[str, Any]], credential_id: str, issuer_did: str, issuer_name: str, **members: Any
) -> dict[str, Any]:
    """An unsigned DigitalTraceabilityEvent credential of ``events``, valid from 2026-03-02T08:00:00Z."""
    return {
        "@context": list(DTE_CONTEXT),
        "id": credential_id,
        "type": ["DigitalTraceabilityEvent", "VerifiableCredential"],
        "issuer": {"type": ["CredentialIssuer"], "id": issuer_did, "name": issuer_name},
        "validFrom": "2026-03-02T08:00:00Z",
        **members,
        "credentialSubject": list(events),
    }


def read_gs1_schema(reference_dir: Path) -> dict[str, Any]:
    """The GS1 EPCIS 2.0 JSON Schema (draft-07), read from the reference directory."""
    return dict(json.loads((reference_dir / "gs1" / "EPCIS-JSON-Schema.json").read_text("utf-8")))


def gs1_validator(schema: dict[str, Any]) -> Any:
    """A validator for ``schema`` (``read_gs1_schema``) with format checks on (``uri``, ``date-time``)."""
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def gs1_enum(schema: dict[str, Any], definition: str) -> list[str]:
    """The CBV 2.0 values of a definition of the GS1 schema (``bizStep``, ``disposition``...): its enum branch."""
    (values,) = [branch["enum"] for branch in schema["definitions"][definition]["anyOf"] if "enum" in branch]
    return list(values)


def schema_errors(validator: Any, instance: Any) -> list[str]:
    """The first ten errors of ``instance``, each as ``<instance path>: <message>``."""
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(instance)][:10]
