"""The sealing cases (docs/design.md §8): a port takes a sealed category only sealed and opens what is sealed to it;
an exporter seals what its destination's policy seals.

They run when the policy of the port under test (for the exporter suite: of the destination the kit stands
in for) marks ``laboratory`` sealed, which in the sandbox is ``cn-port-03`` (``--port-id cn-port-03``);
for any other port they are not planned. The laboratory results come from ``pilot.synthetic``
(``laboratory_results``): each set names a sample number of its own, so a byte search finds it.

Port cases, each with a fresh submission of ``ru-exp-01`` whose conformity credential carries laboratory
results:

- the credential in clear text: ``rejected`` with ``DATA_CATEGORY_SEALING_REQUIRED`` as the only reason;
- the credential sealed to the port's current ``keyAgreement`` key (``TrustRegistry.sealing_key``): opened,
  verified and judged as a clear one, so neither ``rejected`` nor refused (``accepted``, or held by the
  port's inspection rules), with a receipt that verifies and digests the submission as sent, sealed.

Exporter case: the kit registers a farm of the exporter's own for the run (``laboratory_farm``), imports a
certificate of it carrying laboratory results, and asks for a consignment from that farm; the submission
the stand-in port receives must carry the certificate sealed to the destination's current key, opening
(with the port's key from the data dir) to a credential whose digest is the manifest's pin, and no byte
of the results in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import httpx

from pilot.conformance.exporter_seed import SeedError
from pilot.conformance.material import KitMaterial
from pilot.conformance.model import CaseFailed, CaseSpec
from pilot.conformance.runner import PlannedCase, Probe
from pilot.language import N_
from pilot.participants import PORTS
from pilot.sandbox import DEFAULT_SEED
from pilot.synthetic import (
    ExporterWorld,
    build_world,
    farm_certificate,
    laboratory_farm,
    laboratory_results,
    plan_consignment,
    record_type_of,
    sign_consignment,
    stable_id,
    with_laboratory_results,
)
from schemas.digest import credential_digest
from schemas.errors import PilotSchemaError
from schemas.jose import b64url_decode, credential_payload
from schemas.jsonio import parse_json
from schemas.phrase import Phrase
from schemas.sealing import is_sealed, open_sealed, read_sealed, seal, sealed_credential
from schemas.trust import TrustRegistry

if TYPE_CHECKING:  # the suites run these cases; only their types are needed here
    from pilot.conformance.cases_port import PortSuite

__all__ = [
    "EXPORTER_SEALING_CASES",
    "PORT_SEALING_CASES",
    "SEALED_CATEGORY",
    "ExporterSealing",
    "PortSealingCases",
    "laboratory_submission",
    "seals_laboratory",
]

#: The data category the cases put in a credential (in a DCC's ``assessment[].laboratoryResults``).
SEALED_CATEGORY = "laboratory"
#: The exporter whose fresh consignments the port cases send.
EXPORTER = "ru-exp-01"
DCC = "DigitalConformityCredential"
#: What a case expects of a receipt with a single reason.
ONLY_REASON = N_("decision {decision}, {code} the only reason")
_TRANSPORT = {p.short_id: p.transport_mode for p in PORTS}
_DAY = date(2026, 3, 1)

PORT_SEALING_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "port.t2.sealed-category-clear-refused",
        2,
        N_("Clear text of a sealed category refused"),
        "For a port whose policy marks `laboratory` sealed: a fresh consignment whose conformity credential "
        "carries `laboratoryResults` in clear text gets a receipt with decision `rejected` and "
        "`DATA_CATEGORY_SEALING_REQUIRED` as its only reason.",
        N_(
            "A field of a category in `sealedDataCategories` may arrive only inside a credential sealed to your "
            "`keyAgreement` key (docs/design.md §8); in clear text it is refused, and never stored."
        ),
    ),
    CaseSpec(
        "port.t2.sealed-credential-opened",
        2,
        N_("Sealed credential opened and judged"),
        "For a port whose policy marks `laboratory` sealed: the same kind of consignment with the conformity "
        "credential sealed to the port's current `keyAgreement` key (compact JWE, `ECDH-ES+A256KW`, `A256GCM`) "
        "gets 201 and a receipt that verifies, digests the submission as sent (sealed), and decides "
        "`accepted` or `held_for_inspection` with no error.",
        N_(
            "Open the JWE with the private key its `kid` names, verify the credential inside like a clear one and "
            "check its digest against the manifest's pin; store the sealed form (docs/design.md §§4, 8)."
        ),
    ),
)
EXPORTER_SEALING_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "exporter.t2.seals-per-policy",
        2,
        N_("Seals what the destination's policy seals"),
        "To a destination whose policy marks `laboratory` sealed, a consignment from a farm whose imported "
        "certificate carries `laboratoryResults` arrives with that certificate sealed to the destination's "
        "current `keyAgreement` key, opening to a credential whose digest is the manifest's pin, no byte of "
        "the results in clear; and ends `delivered`.",
        N_(
            "Seal every credential holding a field of a `sealed` category as a compact JWE to the port's current "
            "`keyAgreement` key from the trust list; the manifest pins the plaintext credential (docs/design.md §8)."
        ),
    ),
)
_PORT_BY_ID = {spec.id: spec for spec in PORT_SEALING_CASES}


def seals_laboratory(registry: TrustRegistry, port_id: str) -> bool:
    """Whether ``port_id``'s published policy takes ``laboratory`` fields only sealed."""
    policy = registry.policy(port_id)
    return policy is not None and policy.category_treatment(SEALED_CATEGORY) == "sealed"


def laboratory_submission(
    material: KitMaterial, exporter: str, submission_id: str, port_id: str, *, sealed: bool
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A fresh consignment of ``exporter`` to ``port_id`` whose conformity credential carries laboratory
    results, that credential sealed to the port's current key when ``sealed``; and the results.

    The manifest pins the plaintext credential either way (docs/design.md §4).
    """
    world = build_world(DEFAULT_SEED, exporter)
    parts = plan_consignment(DEFAULT_SEED, world, submission_id, port_id, _TRANSPORT.get(port_id, "rail"))
    results = laboratory_results(DEFAULT_SEED, world.exporter.hs_code, submission_id)
    parts.certificate = with_laboratory_results(parts.certificate, results)
    signed = sign_consignment(DEFAULT_SEED, parts, material.credential_signer)
    document = signed.submission
    if sealed:
        key = material.registry.sealing_key(port_id, datetime.now(UTC))
        if key is None:
            raise CaseFailed(f"the trust list publishes no keyAgreement key of {port_id} usable now")
        document["credentials"] = [
            sealed_credential(seal(c, key.public_key, key.kid)) if record_type_of(c) == DCC else c
            for c in document["credentials"]
        ]
    return document, results


def _codes(subject: dict[str, Any]) -> list[str]:
    return [str(r.get("code")) for r in subject.get("reasons") or [] if isinstance(r, dict)]


@dataclass
class PortSealingCases:
    """The port's sealing cases of one run of the port suite, sent through that run's ``PortSuite``."""

    suite: PortSuite

    def plan(self) -> list[PlannedCase]:
        """Both cases, when the port's policy seals ``laboratory``; else none."""
        if not seals_laboratory(self.suite.material.registry, self.suite.port_id):
            return []
        bodies = {
            "port.t2.sealed-category-clear-refused": self.clear_refused,
            "port.t2.sealed-credential-opened": self.sealed_opened,
        }
        return [PlannedCase(_PORT_BY_ID[case_id], body) for case_id, body in bodies.items()]

    def clear_refused(self, probe: Probe) -> str:
        submission_id = self.suite.new_id("lab-clear", EXPORTER)
        document, _ = laboratory_submission(
            self.suite.material, EXPORTER, submission_id, self.suite.port_id, sealed=False
        )
        probe.sent = (
            f"POST /v1/submissions {submission_id}: its conformity credential carries laboratoryResults in clear"
        )
        probe.expected = Phrase(ONLY_REASON, decision="rejected", code="DATA_CATEGORY_SEALING_REQUIRED")
        sent = self.suite.submit(EXPORTER, document)
        receipt = self.suite.receipt_of(sent)
        decision, _ = self.suite.verify_fully(sent, receipt)
        codes = _codes(receipt["credentialSubject"])
        seen = f"decision {decision}, reasons {codes}"
        if decision != "rejected" or set(codes) != {"DATA_CATEGORY_SEALING_REQUIRED"}:
            raise CaseFailed(seen)
        return seen

    def sealed_opened(self, probe: Probe) -> str:
        submission_id = self.suite.new_id("lab-sealed", EXPORTER)
        port_id = self.suite.port_id
        document, _ = laboratory_submission(self.suite.material, EXPORTER, submission_id, port_id, sealed=True)
        kid = read_kid(document)
        probe.sent = f"POST /v1/submissions {submission_id}: its conformity credential sealed to {kid}"
        probe.expected = N_("201, a receipt that verifies, decision accepted or held_for_inspection, no error")
        sent = self.suite.submit(EXPORTER, document)
        receipt = self.suite.receipt_of(sent, (201,))
        decision, _ = self.suite.verify_fully(sent, receipt)
        subject = receipt["credentialSubject"]
        errors = [
            str(r.get("code"))
            for r in subject.get("reasons") or []
            if isinstance(r, dict) and r.get("severity") == "error"
        ]
        seen = f"HTTP 201, decision {decision}, reasons {_codes(subject)}"
        if decision not in ("accepted", "held_for_inspection") or errors:
            raise CaseFailed(seen)
        return seen


def read_kid(document: dict[str, Any]) -> str:
    """The ``kid`` of the first sealed credential of a submission (``?`` when none can be read)."""
    for credential in document.get("credentials", []):
        if is_sealed(credential):
            try:
                header = parse_json(b64url_decode(read_sealed(credential).split(".")[0]))
            except (PilotSchemaError, ValueError):
                continue
            return str(header.get("kid", "?")) if isinstance(header, dict) else "?"
    return "?"


@dataclass
class ExporterSealing:
    """The exporter's sealing case: what the kit prepares at the exporter, and how it judges what arrived."""

    material: KitMaterial
    exporter_id: str
    port_id: str
    consignment_id: str
    #: The laboratory results of the consignment (set by ``prepare``); a byte search looks for their values.
    results: list[dict[str, str]] = field(default_factory=list)
    certificate_id: str | None = None

    @property
    def applies(self) -> bool:
        """Whether the destination's policy seals ``laboratory``: the case runs only then."""
        return seals_laboratory(self.material.registry, self.port_id)

    def prepare(self, client: httpx.Client, world: ExporterWorld) -> dict[str, Any]:
        """Register the run's laboratory farm, import its certificate with laboratory results; the body of
        ``POST /v1/consignments`` for a consignment from that farm alone."""
        farm = laboratory_farm(DEFAULT_SEED, world, self.consignment_id)
        response = client.post("/v1/farms", json=farm)
        if response.status_code not in (200, 201):
            raise SeedError(f"POST /v1/farms (the laboratory farm): HTTP {response.status_code} {response.text[:300]}")
        record = response.json()
        self.results = laboratory_results(DEFAULT_SEED, world.exporter.hs_code, self.consignment_id)
        self.certificate_id = stable_id(DEFAULT_SEED, "conformance-lab-cert", self.consignment_id)
        certificate = farm_certificate(
            DEFAULT_SEED,
            self.material.credential_signer,
            world,
            farm,
            (record["credentialId"], record["digest"]),
            key=f"conformance/{self.consignment_id}",
            day=_DAY,
            credential_id=self.certificate_id,
            laboratory=self.results,
        )
        response = client.post("/v1/credentials", json=certificate)
        if response.status_code not in (200, 201):
            raise SeedError(f"import the laboratory certificate: HTTP {response.status_code} {response.text[:300]}")
        parts = plan_consignment(DEFAULT_SEED, world, self.consignment_id, self.port_id, "rail")
        lots = [{**lot, "originFacilities": [farm["id"]]} for lot in parts.lots]
        return {
            "destination": self.port_id,
            "consignmentId": self.consignment_id,
            "lots": lots,
            "transportMode": "rail",
        }

    def judge(self, body: bytes | None, state: str) -> str:
        """The case's verdict on the first submission body received for the consignment and its final state."""
        if body is None:
            raise CaseFailed("the consignment never reached the stand-in port")
        leaked = [r["result"] for r in self.results if r["result"].encode() in body or r["test"].encode() in body]
        if leaked:
            raise CaseFailed(f"{len(leaked)} laboratory result(s) travel in clear text")
        document = parse_json(body)
        key = self.material.registry.sealing_key(self.port_id, datetime.now(UTC))
        if key is None:
            raise CaseFailed(f"the trust list publishes no keyAgreement key of {self.port_id} usable now")
        pins = _manifest_pins(document)
        opened_ids = []
        for credential in document.get("credentials", []):
            if not is_sealed(credential):
                continue
            try:
                opened = open_sealed(read_sealed(credential), self.material.agreement_keys(self.port_id))
            except PilotSchemaError as exc:
                raise CaseFailed(f"a sealed credential does not open with {self.port_id}'s keys: {exc}") from exc
            if opened.kid != key.kid:
                raise CaseFailed(f"a credential is sealed to {opened.kid}, not to the current key {key.kid}")
            credential_id = str(credential_payload(opened.credential).get("id"))
            if pins.get(credential_id) != credential_digest(opened.credential):
                raise CaseFailed(f"the manifest does not pin the digest of the sealed credential {credential_id}")
            opened_ids.append(credential_id)
        if self.certificate_id not in opened_ids:
            raise CaseFailed(f"the certificate with laboratory results is not among the {len(opened_ids)} sealed")
        if state not in ("delivered", "delivered_with_warnings"):
            raise CaseFailed(f"sealed as it should be, but the consignment ended {state}")
        return f"{len(opened_ids)} credential(s) sealed to {key.kid}, pinned by the manifest; {state}"


def _manifest_pins(document: dict[str, Any]) -> dict[str, str]:
    manifest = document.get("manifest")
    if not isinstance(manifest, dict):
        raise CaseFailed("the manifest is not a JSON object")
    subject = credential_payload(manifest).get("credentialSubject", {})
    return {
        str(ref.get("id")): str(ref.get("digest")) for ref in subject.get("credentials", []) if isinstance(ref, dict)
    }
