"""Non-credential documents: submission shape, enveloped reference, log entry, trust list and anchor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

import schemas.models as models
from schemas.codes import Code
from schemas.models import (
    EnvelopedCredentialRef,
    LogEntry,
    Submission,
    TrustAnchor,
    TrustList,
    validate_model,
)
from tests.support import examples as ex
from tests.support.surface import assert_exports

Doc = dict[str, Any]


def _second_key_id(doc: Doc) -> None:
    doc["participants"][2]["keys"][1]["id"] = doc["participants"][2]["keys"][0]["id"]


DOCUMENT_CASES: list[tuple[str, type[BaseModel], Callable[[], Doc], Callable[[Doc], Any], str, str]] = [
    ("submission without manifest", Submission, ex.submission, lambda d: d.pop("manifest"),
     "/manifest", "missing"),
    ("submission with 201 credentials", Submission, ex.submission,
     lambda d: d.update(credentials=[{}] * 201), "/credentials", "at most 200"),
    ("credential that is not an object", Submission, ex.submission,
     lambda d: d["credentials"].__setitem__(1, "jws"), "/credentials/1", "valid dictionary"),
    ("bad submission id", Submission, ex.submission, lambda d: d.update(submissionId="a b"), "/submissionId",
     "pattern"),
    ("log entry version 2", LogEntry, ex.log_entry, lambda d: d.update(v=2), "/v", "1"),
    ("log entry with a DID exporter", LogEntry, ex.log_entry,
     lambda d: d.update(exporter="did:web:pilot.example:ru-exp-01"), "/exporter", "pattern"),
    ("duplicate participant id", TrustList, ex.trust_list,
     lambda d: d["participants"][1].update(id="pilot-gov"), "/participants/1/id", "repeats"),
    ("key id outside the participant's DID", TrustList, ex.trust_list,
     lambda d: d["participants"][1]["keys"][0].update(id="did:web:pilot.example:other#key-1"),
     "/participants/1/keys/0/id", "must start with"),
    ("duplicate key id", TrustList, ex.trust_list, _second_key_id, "/participants/2/keys/1/id", "repeats"),
    ("repeated purpose", TrustList, ex.trust_list,
     lambda d: d["participants"][1]["keys"][0].update(purposes=["assertion", "assertion"]),
     "/participants/1/keys/0/purposes", "repeat"),
    ("unknown purpose", TrustList, ex.trust_list,
     lambda d: d["participants"][1]["keys"][0].update(purposes=["signing"]),
     "/participants/1/keys/0/purposes/0", "found a string of 7 characters"),
    ("no keys", TrustList, ex.trust_list, lambda d: d["participants"][1].update(keys=[]),
     "/participants/1/keys", "at least 1"),
    ("unknown role", TrustList, ex.trust_list, lambda d: d["participants"][1].update(role="importer"),
     "/participants/1/role", "found a string of 8 characters"),
    ("nextUpdate before issued", TrustList, ex.trust_list,
     lambda d: d.update(nextUpdate="2024-01-01T00:00:00Z"), "/nextUpdate", "later than issued"),
    ("sequence zero", TrustList, ex.trust_list, lambda d: d.update(sequence=0), "/sequence", "greater than"),
    ("id not matching the sequence", TrustList, ex.trust_list, lambda d: d.update(sequence=2),
     "/id", "sequence"),
    ("policy with a 5-digit prefix", TrustList, ex.trust_list,
     lambda d: d["policies"]["cn-port-01"].update(permittedHsCodes=["02071"]),
     "/policies/cn-port-01/permittedHsCodes/0", "pattern"),
    ("policy with an unknown data category", TrustList, ex.trust_list,
     lambda d: d["policies"]["cn-port-01"].update(permittedDataCategories=["secret"]),
     "/policies/cn-port-01/permittedDataCategories/0", "found a string of 6 characters"),
    ("sampling rate above 1", TrustList, ex.trust_list,
     lambda d: d["policies"]["cn-port-01"]["inspection"].update(samplingRate=1.5),
     "/policies/cn-port-01/inspection/samplingRate", "less than or equal to 1"),
    ("establishment category of 6 digits", TrustList, ex.trust_list,
     lambda d: d["establishments"][0].update(categories=["020714"]),
     "/establishments/0/categories/0", "pattern"),
    ("bad multikey", TrustList, ex.trust_list,
     lambda d: d["participants"][0]["keys"][0].update(publicKeyMultibase="z0OIl"),
     "/participants/0/keys/0/publicKeyMultibase", "pattern"),
    ("anchor key of another DID", TrustAnchor, ex.trust_anchor,
     lambda d: d["keys"][0].update(id="did:web:pilot.example:ru-exp-01#key-1"), "/keys/0/id", "operator"),
    ("anchor without keys", TrustAnchor, ex.trust_anchor, lambda d: d.update(keys=[]), "/keys", "at least 1"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "build", "change", "path", "fragment"), [c[1:] for c in DOCUMENT_CASES],
                         ids=[c[0] for c in DOCUMENT_CASES])  # fmt: skip
def test_bad_document(
    model: type[BaseModel], build: Callable[[], Doc], change: Callable[[Doc], Any], path: str, fragment: str
) -> None:
    doc = build()
    change(doc)
    instance, problems = validate_model(model, doc)
    assert instance is None
    assert all(p.code == Code.SCHEMA_INVALID for p in problems)
    matching = [p for p in problems if p.path == path]
    assert matching, problems
    assert any(fragment in p.message for p in matching), matching


def test_submission_keeps_credentials_raw() -> None:
    doc = ex.submission()
    doc["credentials"][0]["credentialSubject"]["hsCode"] = "bogus"
    instance, problems = validate_model(Submission, doc)
    assert problems == []
    assert isinstance(instance, Submission)
    assert instance.credentials[0]["credentialSubject"]["hsCode"] == "bogus"


def test_enveloped_credential_reference() -> None:
    good = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln",
    }
    instance, problems = validate_model(EnvelopedCredentialRef, good)
    assert problems == [] and instance is not None
    assert instance.model_dump(by_alias=True, exclude_none=True, mode="json") == good
    _, problems = validate_model(EnvelopedCredentialRef, {**good, "id": "data:application/json,{}"})
    assert [p.path for p in problems] == ["/id"]


def test_trust_list_round_trip_keeps_policy_categories_as_strings() -> None:
    instance, _ = validate_model(TrustList, ex.trust_list())
    assert instance is not None
    dumped = instance.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert dumped["policies"]["cn-port-01"]["permittedDataCategories"][0] == "public"
    assert dumped["participants"][0]["role"] == "trust_list_operator"


def test_public_surface() -> None:
    assert_exports(
        models, "DataCategory", "Role", "field_categories", "validate_credential_payload", "CREDENTIAL_TYPES"
    )
