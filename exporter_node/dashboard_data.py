"""What the exporter's dashboard shows, gathered from the node's own records (docs/design.md §6).

Everything is read through the node's storage queries and API views (``FacilityView``, ``CredentialView``,
``ConsignmentSummary``, ``ConsignmentView``, ``OutboxItem``), and then:

- each farm's record and each certificate gets a *standing*: judged now as a port would judge it
  (``schemas.verify.check_credential`` at the node's clock, then its status lists through the node's registry
  lookup): ``valid``, ``warning`` (a warning-level reason, such as an expiry within 30 days or a status that
  cannot be established now) or ``invalid`` (an error-level reason: expired, revoked, suspended...), with the
  reasons' codes; or ``sealed``, for a record the exporter holds only in the form it was sent sealed in, which
  it cannot open: then ``sealedTo`` names the port (or the key id, when the trust list no longer names it);
- every code shown (reasons, failed deliveries, attempts, standings) comes with its hint
  (``schemas.reason_hints``), so a rejected consignment says what to fix;
- a consignment's detail carries the leaf input its receipt stands for (``schemas.receipt``: the log entry
  rebuilt from the receipt's subject, RFC 8785 bytes), so that the page checks the inclusion proof itself.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from exporter_node.api_models import ConsignmentSummary, ConsignmentView, FacilityView, OutboxItem, time_or_none
from exporter_node.credential_import import credential_view
from exporter_node.state import ExporterNode
from schemas.errors import PilotSchemaError
from schemas.jose import credential_payload
from schemas.jsonio import parse_json
from schemas.models.registry import credential_type_of
from schemas.reason_hints import hint_for
from schemas.receipt import leaf_input_of, log_entry_of
from schemas.sealing import is_sealed, read_sealed, sealed_header
from schemas.status_list import StatusCheck, StatusLookup, check_status
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

__all__ = [
    "CarriedCredential",
    "ConsignmentDetail",
    "DashboardCertificate",
    "DashboardFacility",
    "DashboardOverview",
    "Standing",
    "consignment_detail",
    "overview",
]

#: How many consignments the overview lists, newest first.
CONSIGNMENTS_SHOWN = 200


class Standing(BaseModel):
    """A record judged now, as a port would (module doc)."""

    state: Literal["valid", "warning", "invalid", "sealed"]
    codes: list[str] = Field(description="the codes of the reasons found, distinct, in order")
    sealedTo: str | None = Field(description="held only sealed: the port it was sealed to (or the key id)")


class DashboardFacility(BaseModel):
    """A farm or plant and the standing of its signed record."""

    id: str
    name: Any = Field(description="the facility's name as its record holds it (text, or language values)")
    names: Any = Field(default=None, description="its name in each language: VC 2.0 language value objects")
    facilityType: str
    establishmentNumber: str
    region: str
    credentialId: str
    validFrom: str | None
    validUntil: str | None
    standing: Standing


class DashboardCertificate(BaseModel):
    """An imported certificate or attestation and its standing."""

    id: str
    type: str
    issuer: str
    assessedFacility: str | None
    establishmentNumber: str | None
    validFrom: str | None
    validUntil: str | None
    standing: Standing


class DashboardOverview(BaseModel):
    """Everything the dashboard lists, refreshed by the page every few seconds."""

    exporter: str
    at: str = Field(description="when this was read (the node's clock)")
    farms: list[DashboardFacility]
    certificates: list[DashboardCertificate]
    consignments: list[ConsignmentSummary]
    outbox: list[OutboxItem]
    hints: dict[str, str] = Field(description="what to do about each code shown above that has a hint")


class CarriedCredential(BaseModel):
    """One credential of a consignment's submission, as sent."""

    index: int
    type: str | None = Field(description="its record type; None when sealed (the exporter cannot open it)")
    id: str | None
    sealedTo: str | None = Field(description="sent sealed: the port it was sealed to (or the key id)")


class ConsignmentDetail(BaseModel):
    """One consignment: its view, what the page needs to check its receipt, and the hints of its codes."""

    consignment: ConsignmentView
    leafInput: str | None = Field(description="base64 of the log entry's RFC 8785 bytes rebuilt from the receipt")
    credentials: list[CarriedCredential]
    latestCheckpoint: str | None = Field(description="the largest checkpoint verified from the destination port")
    hints: dict[str, str]


def overview(node: ExporterNode) -> DashboardOverview:
    """The farms, certificates, consignments and outbox of ``node``, with standings and hints."""
    now = node.now()
    trust = node.trust.current()
    farms = [_facility(row, trust, node.status, now) for row in node.storage.facilities()]
    certificates = [_certificate(row, trust, node.status, now) for row in node.storage.imported_credentials()]
    consignments = [ConsignmentSummary.from_row(row) for row in node.storage.consignments(limit=CONSIGNMENTS_SHOWN)]
    codes = [code for c in consignments for code in _codes_of(c)]
    standings = [record.standing for record in farms] + [record.standing for record in certificates]
    codes += [code for standing in standings for code in standing.codes]
    return DashboardOverview(
        exporter=node.node_id,
        at=time_or_none(now) or "",
        farms=farms,
        certificates=certificates,
        consignments=consignments,
        outbox=[OutboxItem.from_row(row) for row in node.storage.outbox()],
        hints=_hints(codes),
    )


def consignment_detail(node: ExporterNode, view: ConsignmentView) -> ConsignmentDetail:
    """``view`` with the leaf input of its receipt, the credentials it carried and the hints of its codes."""
    subject = view.receipt.get("credentialSubject") if view.receipt else None
    leaf_input = None
    if isinstance(subject, Mapping):
        leaf_input = base64.b64encode(leaf_input_of(log_entry_of(node.node_id, subject))).decode("ascii")
    known = node.storage.known_checkpoint(view.destination)
    codes = [*_codes_of(view), *(a.code for a in view.attemptLog if a.code)]
    return ConsignmentDetail(
        consignment=view,
        leafInput=leaf_input,
        credentials=_carried(node.storage.submission_text(view.id), node.trust.current()),
        latestCheckpoint=known.checkpoint if known else None,
        hints=_hints(codes),
    )


def _facility(row: Mapping[str, Any], trust: TrustRegistry, lookup: StatusLookup, at: datetime) -> DashboardFacility:
    view = FacilityView.from_row(row)
    payload = {} if view.sealedTo else _payload(view.credential)
    subject = payload.get("credentialSubject")
    facility = subject.get("facility") if isinstance(subject, Mapping) else None
    return DashboardFacility(
        id=view.id,
        name=facility.get("name") if isinstance(facility, Mapping) else None,
        names=facility.get("names") if isinstance(facility, Mapping) else None,
        facilityType=view.facilityType,
        establishmentNumber=view.establishmentNumber,
        region=view.region,
        credentialId=view.credentialId,
        validFrom=_text(payload.get("validFrom")),
        validUntil=_text(payload.get("validUntil")),
        standing=_standing(view.credential, view.sealedTo, trust, lookup, at),
    )


def _certificate(
    row: Mapping[str, Any], trust: TrustRegistry, lookup: StatusLookup, at: datetime
) -> DashboardCertificate:
    view = credential_view(row)
    return DashboardCertificate(
        id=view.id,
        type=view.type,
        issuer=view.issuer,
        assessedFacility=view.assessedFacility,
        establishmentNumber=view.establishmentNumber,
        validFrom=time_or_none(row.get("valid_from")),
        validUntil=view.validUntil,
        standing=_standing(view.credential, view.sealedTo, trust, lookup, at),
    )


def _standing(
    credential: Mapping[str, Any], sealed_to: str | None, trust: TrustRegistry, lookup: StatusLookup, at: datetime
) -> Standing:
    """``credential`` judged at ``at`` with the trust list and its issuer's status lists (module doc)."""
    if sealed_to is not None:
        return Standing(state="sealed", codes=[], sealedTo=_port_of(sealed_to, trust))
    report = check_credential(credential, trust, at)
    status = StatusCheck()
    check_status(report, lookup, trust, at, status)
    reasons = [*report.problems, *status.reasons]
    state: Literal["valid", "warning", "invalid"] = "valid"
    if any(r.severity == "error" for r in reasons):
        state = "invalid"
    elif reasons:
        state = "warning"
    return Standing(state=state, codes=list(dict.fromkeys(str(r.code) for r in reasons)), sealedTo=None)


def _carried(submission_text: str | None, trust: TrustRegistry) -> list[CarriedCredential]:
    """The credentials of a submission as sent: record type and id, or the port a sealed one was sealed to."""
    try:
        submission = parse_json(submission_text) if submission_text is not None else None
    except PilotSchemaError:
        return []
    credentials = submission.get("credentials") if isinstance(submission, dict) else None
    carried = []
    for index, credential in enumerate(credentials if isinstance(credentials, list) else []):
        if is_sealed(credential):
            carried.append(CarriedCredential(index=index, type=None, id=None, sealedTo=_sealed_to(credential, trust)))
            continue
        payload = _payload(credential)
        carried.append(
            CarriedCredential(index=index, type=credential_type_of(payload), id=_text(payload.get("id")), sealedTo=None)
        )
    return carried


def _sealed_to(credential: Mapping[str, Any], trust: TrustRegistry) -> str:
    """The port a sealed credential was sealed to, read from its JWE header's ``kid`` (nothing is opened)."""
    try:
        kid = sealed_header(read_sealed(credential))["kid"]
    except PilotSchemaError:
        return "an unreadable key"
    return _port_of(str(kid), trust)


def _port_of(kid: str, trust: TrustRegistry) -> str:
    """The participant whose keyAgreement key ``kid`` is, or ``kid`` itself when the trust list does not name it."""
    key = trust.agreement_keys.get(kid)
    return key.participant_id if key is not None else kid


def _payload(credential: Any) -> dict[str, Any]:
    """The credential's payload (an enveloped one's JWS payload, decoded, not verified); {} when it has none."""
    if not isinstance(credential, Mapping) or is_sealed(credential):
        return {}
    try:
        return credential_payload(credential)
    except (PilotSchemaError, ValueError):
        return {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _codes_of(consignment: ConsignmentSummary) -> list[str]:
    codes = [str(r.get("code")) for r in consignment.reasons or [] if isinstance(r, Mapping)]
    return [*codes, *([consignment.failureCode] if consignment.failureCode else [])]


def _hints(codes: Iterable[str]) -> dict[str, str]:
    return {code: hint for code in dict.fromkeys(codes) if (hint := hint_for(code)) is not None}
