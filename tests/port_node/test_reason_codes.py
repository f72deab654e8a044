"""Every reason code the intake can put in a receipt, each produced by a named case and asserted by code.

The cases come from the published vectors, or from a fresh valid submission with one faulty
credential added (from the published credential vectors), so each code is reached through the port.
A case about a policy cn-port-01 does not have (laboratory results only sealed, a retired keyAgreement
key) is sent to cn-port-03 (``CASE_PORTS``).

The same cases drive the port's rules (``schemas.rules.PORT_RULES``) one by one: every code a rule
declares has a row here, and each rule gives exactly the codes it declares.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

import schemas.assess
from pilot.sandbox import DEFAULT_SEED, plant_number
from pilot.synthetic import ConsignmentParts, Signer, build_world, plan_consignment, sign_consignment, stable_id
from pilot.vectors import build_vectors
from schemas.assess import assess_submission
from schemas.codes import RECEIPT_REASON_CODES
from schemas.errors import Reason
from schemas.identifiers import did_of
from schemas.records import facility_record_subject
from schemas.rules import PORT_RULES, EachLot, LotRule, PortRule
from schemas.status_list import status_entries
from schemas.time import utc_now
from tests.port_node.port_harness import PORT_ID, PortHarness, check_receipt, fresh_submission, sandbox, trust_registry
from tests.port_node.sealing_port import SEALING_PORT, check_port_receipt, sealing_port
from tests.support.sealed import credential_index, lab_submission, port_agreement_keys, rewrite_sealed, sealed_at

pytestmark = [pytest.mark.anyio, pytest.mark.db]

__all__ = ["sealing_port"]  # the fixture, imported for the cases judged by cn-port-03

Build = Callable[[], tuple[str, Any]]


@functools.cache
def _files() -> dict[str, bytes]:
    files: dict[str, bytes] = build_vectors()
    return files


def _vector(name: str) -> Build:
    def build() -> tuple[str, Any]:
        document = json.loads(_files()[f"invalid/submission-{name}.json"])
        return "-".join(document["submissionId"].split("-")[1:4]), document

    return build


def _with_credential(name: str) -> Build:
    def build() -> tuple[str, Any]:
        document = fresh_submission("ru-exp-01", f"code-{name}")
        document["credentials"].append(json.loads(_files()[f"invalid/credential-{name}.json"]))
        return "ru-exp-01", document

    return build


def _sent_by_another_exporter() -> tuple[str, Any]:
    return "ru-exp-02", fresh_submission("ru-exp-01", "code-mismatch")


def _with_farm_records(name: str, *, issued_by: str = "ru-exp-01", count: int = 1, **options: Any) -> Build:
    """A fresh submission of ru-exp-01 with ``count`` more facility records of ``issued_by``'s first farm,
    each issued with ``options`` (``Signer.issue``'s: a validity, status entries)."""

    def build() -> tuple[str, Any]:
        document = fresh_submission("ru-exp-01", f"code-{name}")
        farm = build_world(DEFAULT_SEED, issued_by).farms[0]
        signer = Signer(sandbox().keyrings)
        for n in range(count):
            document["credentials"].append(
                signer.issue(
                    issued_by,
                    "DigitalFacilityRecord",
                    facility_record_subject(farm),
                    credential_id=stable_id("test", name, n),
                    **options,
                )
            )
        return "ru-exp-01", document

    return build


#: A validity that ends within the port's warning window.
_EXPIRING = utc_now() + timedelta(days=10)


def _consignment(exporter: str, name: str, edit: Callable[[ConsignmentParts], None]) -> Build:
    """A consignment of ``exporter``, its parts edited before signing (every credential signs)."""

    def build() -> tuple[str, Any]:
        parts = plan_consignment(
            DEFAULT_SEED, build_world(DEFAULT_SEED, exporter), f"t-{exporter}-{name}", "cn-port-01", "rail"
        )
        edit(parts)
        return exporter, sign_consignment(DEFAULT_SEED, parts, Signer(sandbox().keyrings)).submission

    return build


def _another_exporters_plant(parts: ConsignmentParts) -> None:
    parts.lots[0]["establishmentNumber"] = plant_number("ru-exp-02")


def _hs_code_not_traced(parts: ConsignmentParts) -> None:
    code = parts.lots[0]["hsCode"]
    parts.lots[0]["hsCode"] = code[:5] + ("1" if code[5] != "1" else "2")  # same heading, another product


def _lab_results(port: str, name: str, *, seal_to: str | None = None, label: str = "key-4", edit: Any = None) -> Build:
    """ru-exp-01's consignment to ``port`` whose conformity credential carries laboratory results, sealed to
    ``seal_to``'s keyAgreement key ``label`` when given, then its JWE edited by ``edit`` = (part, change)."""

    def build() -> tuple[str, Any]:
        document = lab_submission("ru-exp-01", f"code-{name}", port)
        index = credential_index(document, "DigitalConformityCredential")
        if seal_to is not None:
            document = sealed_at(document, index, seal_to, label=label)
        if edit is not None:
            document = rewrite_sealed(document, index, *edit)
        return "ru-exp-01", document

    return build


def _flip_a_byte(data: bytes) -> bytes:
    return data[:5] + bytes([data[5] ^ 1]) + data[6:]


def _another_algorithm(header: bytes) -> bytes:
    return header.replace(b'"ECDH-ES+A256KW"', b'"ECDH-ES+A128KW"')


CASES: dict[str, tuple[Build, str]] = {
    "SCHEMA_INVALID": (_vector("manifest-not-an-object"), "error"),
    "PROOF_MISSING": (_vector("manifest-proof-missing"), "error"),
    "PROOF_INVALID": (_vector("tampered-manifest"), "error"),
    "CRYPTOSUITE_UNSUPPORTED": (_with_credential("cryptosuite-ecdsa"), "error"),
    "ISSUER_UNKNOWN": (_with_credential("unknown-issuer"), "error"),
    "ISSUER_ROLE_NOT_AUTHORIZED": (_vector("issuer-role-not-authorized"), "error"),
    "KEY_NOT_VALID_AT_RECEIPT": (_with_credential("expired-key"), "error"),
    "KEY_REVOKED": (_vector("manifest-revoked-key"), "error"),
    "CREDENTIAL_EXPIRED": (_vector("attestation-expired"), "error"),
    "CREDENTIAL_NOT_YET_VALID": (_with_credential("not-yet-valid"), "error"),
    "EVIDENCE_DIGEST_MISMATCH": (_vector("evidence-digest-mismatch"), "error"),
    "REFERENCED_CREDENTIAL_MISSING": (_vector("referenced-credential-missing"), "error"),
    "ESTABLISHMENT_NOT_APPROVED": (_vector("establishment-not-approved"), "error"),
    "HS_CODE_NOT_PERMITTED": (_vector("hs-code-not-permitted"), "error"),
    "DATA_CATEGORY_NOT_PERMITTED": (_vector("data-category-personal"), "error"),
    "GEOMETRY_INVALID": (_vector("farm-geometry-self-intersecting"), "error"),
    "MANIFEST_EXPORTER_MISMATCH": (_sent_by_another_exporter, "error"),
    "CREDENTIAL_EXPIRING_SOON": (_with_farm_records("expiring", valid_until=_EXPIRING), "warning"),
    "DESTINATION_MISMATCH": (_vector("destination-other-port"), "error"),
    "ISSUER_NOT_SUBMITTER": (_with_farm_records("foreign-record", issued_by="ru-exp-02"), "error"),
    "ESTABLISHMENT_NOT_BOUND_TO_EXPORTER": (_consignment("ru-exp-01", "code-plant", _another_exporters_plant), "error"),
    "HS_CODE_MISMATCH": (_consignment("ru-exp-01", "code-hs", _hs_code_not_traced), "error"),
    # More warnings than a receipt carries: the receipt says how many it omitted.
    "REASONS_OMITTED": (_with_farm_records("many-warnings", count=55, valid_until=_EXPIRING), "warning"),
    "CREDENTIAL_REVOKED": (_vector("certificate-revoked"), "error"),
    "CREDENTIAL_SUSPENDED": (_vector("certificate-suspended"), "error"),
    # A record whose status entry names a list the registry does not have: its status cannot be established.
    "STATUS_UNAVAILABLE": (
        _with_farm_records(
            "status-unknown", credential_status=status_entries("ru-exp-01", 5, ["revocation"], generation=404)
        ),
        "warning",
    ),
    # Sealed credentials (docs/design.md §§4, 8).
    "SEALED_INVALID": (_lab_results(PORT_ID, "tampered", seal_to=PORT_ID, edit=(3, _flip_a_byte)), "error"),
    "SEALED_ALGORITHM_UNSUPPORTED": (
        _lab_results(PORT_ID, "alg", seal_to=PORT_ID, edit=(0, _another_algorithm)),
        "error",
    ),
    "SEALED_KEY_UNKNOWN": (_lab_results(PORT_ID, "other-port", seal_to=SEALING_PORT), "error"),
    "SEALED_KEY_RETIRED": (_lab_results(SEALING_PORT, "retired", seal_to=SEALING_PORT, label="key-5"), "error"),
    "DATA_CATEGORY_SEALING_REQUIRED": (_lab_results(SEALING_PORT, "clear-lab"), "error"),
    "SEALING_NOT_EXPECTED": (_lab_results(PORT_ID, "not-expected", seal_to=PORT_ID), "error"),
}
#: The decision a case gets: rejected for an error, accepted for a warning, except these.
DECISIONS = {"STATUS_UNAVAILABLE": "held_for_inspection"}
#: The port that judges a case, when it is not cn-port-01.
CASE_PORTS = {"SEALED_KEY_RETIRED": SEALING_PORT, "DATA_CATEGORY_SEALING_REQUIRED": SEALING_PORT}


def test_the_table_covers_every_receipt_reason_code() -> None:
    assert set(CASES) == {str(code) for code in RECEIPT_REASON_CODES}


@pytest.mark.parametrize("code", sorted(CASES))
async def test_reason_code(request: pytest.FixtureRequest, code: str) -> None:
    build, severity = CASES[code]
    port_id = CASE_PORTS.get(code, PORT_ID)
    harness: PortHarness = request.getfixturevalue("harness" if port_id == PORT_ID else "sealing_port")
    exporter, document = build()
    response = await harness.submit(exporter, document)
    assert response.status_code == 201, response.text
    if port_id == PORT_ID:
        subject = check_receipt(response.content, expect_index=0)["credentialSubject"]
    else:
        subject = check_port_receipt(response.content, port_id)["credentialSubject"]
    found = [reason for reason in subject["reasons"] if reason["code"] == code]
    assert found, subject["reasons"]
    assert {reason["severity"] for reason in found} == {severity}
    assert set(found[0]) == {"code", "severity", "path", "message"}
    assert subject["decision"] == DECISIONS.get(code, "accepted" if severity == "warning" else "rejected")
    # The public log entry carries the same codes as the receipt.
    async with harness.client() as client:
        entries = (await client.get("/v1/log/entries", params={"start": 0, "end": 1})).json()["entries"]
    assert code in entries[0]["entry"]["reasonCodes"]
    assert entries[0]["entry"]["decision"] == subject["decision"]


# -- the port's rules, one by one ---------------------------------------------------------------------------


def _credential_as_manifest() -> tuple[str, Any]:
    document = fresh_submission("ru-exp-01", "rule-not-a-manifest")
    document["manifest"] = document["credentials"][0]
    return "ru-exp-01", document


def _manifest_names_another_exporter() -> tuple[str, Any]:
    parts = plan_consignment(DEFAULT_SEED, build_world(DEFAULT_SEED, "ru-exp-01"), "t-rule-named", PORT_ID, "rail")
    signer = Signer(sandbox().keyrings)
    signed = sign_consignment(DEFAULT_SEED, parts, signer)
    subject = signed.manifest_subject()
    subject["exporter"] = did_of("ru-exp-02")
    manifest = signer.issue("ru-exp-01", "ConsignmentManifest", subject, credential_id=stable_id("t", "named"))
    return "ru-exp-01", {
        "submissionId": subject["consignmentId"],
        "manifest": manifest,
        "credentials": signed.credentials,
    }


#: Cases for a rule whose code another rule already gives in the table: name -> (build, port judging it).
RULE_CASES: dict[str, tuple[Build, str]] = {
    "a credential of another type where the manifest goes": (_credential_as_manifest, PORT_ID),
    "the manifest names another exporter than its issuer": (_manifest_names_another_exporter, PORT_ID),
    "the manifest's consignmentId is not the submissionId": (_vector("submission-id-mismatch"), PORT_ID),
    "judged by a port that publishes no policy": (
        lambda: ("ru-exp-01", fresh_submission("ru-exp-01", "rule")),
        "ru-vet",
    ),
}


def _every_rule() -> list[PortRule | LotRule]:
    """The rules of ``PORT_RULES``, with each ``EachLot`` replaced by its lot rules."""
    return [inner for rule in PORT_RULES for inner in (rule.rules if isinstance(rule, EachLot) else (rule,))]


class _Recording:
    """A rule that notes (rule class, code) of every reason the rule it wraps gives."""

    def __init__(self, rule: Any, seen: list[tuple[str, str]]) -> None:
        self.rule, self.seen, self.codes = rule, seen, rule.codes

    def check(self, ctx: Any) -> Iterator[Reason]:
        for problem in self.rule.check(ctx):
            self.seen.append((type(self.rule).__name__, str(problem.code)))
            yield problem


def _given_by_rule(build: Build, port: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    recording = tuple(
        EachLot(*(_Recording(inner, seen) for inner in rule.rules))
        if isinstance(rule, EachLot)
        else _Recording(rule, seen)
        for rule in PORT_RULES
    )
    exporter, document = build()
    now = utc_now()
    keys = port_agreement_keys(port) if port in sandbox().agreement_keys else {}
    options: dict[str, Any] = {"port_id": port, "at": now, "exporter_id": exporter, "agreement_keys": keys}
    with monkeypatch.context() as patch:
        patch.setattr(schemas.assess, "PORT_RULES", recording)
        recorded = assess_submission(document, trust_registry(), **options)
    plain = assess_submission(document, trust_registry(), **options)
    assert recorded.reasons == plain.reasons
    return seen


def test_every_rule_code_is_a_receipt_code_with_a_row() -> None:
    for rule in (*PORT_RULES, *_every_rule()):
        assert rule.codes, type(rule).__name__
        for code in rule.codes:
            assert code in RECEIPT_REASON_CODES, (type(rule).__name__, code)
            assert str(code) in CASES, (type(rule).__name__, code)
    each_lot = [rule for rule in PORT_RULES if isinstance(rule, EachLot)]
    assert all(set(rule.codes) == {c for inner in rule.rules for c in inner.codes} for rule in each_lot)


def test_each_rule_gives_exactly_the_codes_it_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [(build, CASE_PORTS.get(code, PORT_ID)) for code, (build, _) in CASES.items()] + list(RULE_CASES.values())
    given: dict[str, set[str]] = {type(rule).__name__: set() for rule in _every_rule()}
    for build, port in cases:
        for rule_name, code in _given_by_rule(build, port, monkeypatch):
            given[rule_name].add(code)
    declared = {type(rule).__name__: {str(c) for c in rule.codes} for rule in _every_rule()}
    assert given == declared
