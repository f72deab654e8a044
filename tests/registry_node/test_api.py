"""The registry's JSON API in process (ASGI, a real database): who may publish a list, which versions, how it is served.

docs/design.md §12 and issue 14's acceptance: the registry refuses a status list signed by another issuer
(the request's signer and the credential's proof), an older version, a replayed request; it keeps every
version and serves the current one with an ``ETag`` and a ``Cache-Control`` a port caches by.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from node_core.http_signatures import sign_request
from pilot.synthetic import Signer
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.status_list import verify_status_list
from schemas.time import format_time, parse_time
from schemas.trust import TrustRegistry
from tests.registry_node.registry_harness import (
    BASE_URL,
    JSON,
    RegistryHarness,
    as_body,
    sandbox,
    signed_list,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

LIST = "/v1/status/cert-01/revocation-1"
SUSPENSIONS = "/v1/status/cert-01/suspension-1"


def problem(response: httpx.Response, status: int, code: Code) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


# -- accepting and serving ------------------------------------------------------------------------


async def test_the_issuer_publishes_its_list_and_everyone_reads_the_bytes_it_sent(registry: RegistryHarness) -> None:
    credential = signed_list("cert-01", "revocation-1", 1, set_indexes=[5])
    body = json.dumps(credential, indent=1).encode()  # not canonical: the bytes are kept as they are
    created = await registry.post("cert-01", body, path=LIST)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": credential["id"],
        "sequence": 1,
        "digest": credential_digest(credential),
    }
    served = await registry.get(LIST)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    assert served.content == body
    verified = verify_status_list(served.json(), TrustRegistry.from_document(sandbox().trust_list), datetime.now(UTC))
    assert verified.is_set(5) and not verified.is_set(4)


async def test_an_identical_version_again_is_200_and_nothing_new(registry: RegistryHarness) -> None:
    credential = signed_list("cert-01", "revocation-1", 1)
    assert (await registry.post("cert-01", credential)).status_code == 201
    again = await registry.post("cert-01", json.dumps(credential, indent=2).encode(), path=LIST)  # same digest
    assert again.status_code == 200, again.text
    assert again.json()["digest"] == credential_digest(credential)
    assert len((await registry.get(LIST + "/history")).json()["versions"]) == 1
    assert 'outcome="identical"' in registry.metrics and 'outcome="created"' in registry.metrics


async def test_versions_must_rise(registry: RegistryHarness) -> None:
    assert (await registry.post("cert-01", signed_list("cert-01", "revocation-1", 1))).status_code == 201
    assert (
        await registry.post("cert-01", signed_list("cert-01", "revocation-1", 3, set_indexes=[1]))
    ).status_code == 201
    older = await registry.post("cert-01", signed_list("cert-01", "revocation-1", 2, set_indexes=[2]))
    body = problem(older, 409, Code.STATUS_LIST_OUT_OF_ORDER)
    assert body["heldSequence"] == 3
    equal = await registry.post("cert-01", signed_list("cert-01", "revocation-1", 3, set_indexes=[3]))
    problem(equal, 409, Code.STATUS_LIST_OUT_OF_ORDER)
    first_again_but_changed = await registry.post("cert-01", signed_list("cert-01", "revocation-1", 1, set_indexes=[9]))
    problem(first_again_but_changed, 409, Code.STATUS_LIST_OUT_OF_ORDER)
    history = (await registry.get(LIST + "/history")).json()
    assert [v["sequence"] for v in history["versions"]] == [1, 3]
    assert (await registry.get(LIST)).json()["sequence"] == 3


# -- who may publish --------------------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["cert-02", "ru-vet", "ru-exp-01", "cn-port-01"])
async def test_a_request_signed_by_anyone_but_the_issuer_is_403_and_its_body_is_not_read(
    registry: RegistryHarness, signer: str
) -> None:
    good = await registry.post(signer, signed_list("cert-01", "revocation-1", 1), path=LIST)
    body = problem(good, 403, Code.FORBIDDEN)
    assert signer in str(body["detail"])
    # Not JSON at all: still 403, not 400, because the body is never looked at.
    problem(await registry.post(signer, b"{not json", path=LIST), 403, Code.FORBIDDEN)
    assert (await registry.get(LIST)).status_code == 404


async def test_an_unsigned_or_badly_signed_request_is_401(registry: RegistryHarness) -> None:
    body = as_body(signed_list("cert-01", "revocation-1", 1))
    async with registry.client() as client:
        unsigned = await client.post(LIST, content=body, headers=JSON)
        problem(unsigned, 401, Code.REQUEST_SIGNATURE_INVALID)
    request = httpx.Request("POST", BASE_URL + LIST, content=body, headers=JSON)
    entry = Signer(sandbox().keyrings).key("cert-01", "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    request.headers["content-digest"] = "sha-256=:" + "A" * 43 + "=:"  # the signature no longer covers it
    async with registry.client() as client:
        problem(await client.send(request), 401, Code.REQUEST_SIGNATURE_INVALID)
    signed = httpx.Request("POST", BASE_URL + LIST, content=body, headers=JSON)
    sign_request(signed, entry.private_key, entry.verification_method)
    swapped = as_body(signed_list("cert-01", "revocation-1", 1, set_indexes=[4]))
    other_body = httpx.Request(
        "POST", signed.url, content=swapped, headers=signed.headers
    )  # signed digest, other bytes
    async with registry.client() as client:
        body_answer = problem(await client.send(other_body), 401, Code.REQUEST_SIGNATURE_INVALID)
    assert "Content-Digest" in str(body_answer["detail"])
    assert (await registry.get(LIST)).status_code == 404


async def test_a_request_signed_for_another_node_is_401(registry: RegistryHarness) -> None:
    body = as_body(signed_list("cert-01", "revocation-1", 1))
    entry = Signer(sandbox().keyrings).key("cert-01", "key-1")
    request = httpx.Request("POST", "http://other-registry.test" + LIST, content=body, headers=JSON)
    sign_request(request, entry.private_key, entry.verification_method)
    async with registry.client() as client:
        answer = await client.send(request)
    problem(answer, 401, Code.REQUEST_SIGNATURE_INVALID)


async def test_a_replayed_request_is_401_replayed(registry: RegistryHarness) -> None:
    body = as_body(signed_list("cert-01", "revocation-1", 1))
    request = httpx.Request("POST", BASE_URL + LIST, content=body, headers=JSON)
    entry = Signer(sandbox().keyrings).key("cert-01", "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    async with registry.client() as client:
        first = await client.send(request)
        assert first.status_code == 201, first.text
        replayed = await client.send(httpx.Request("POST", request.url, content=body, headers=request.headers))
    problem(replayed, 401, Code.REQUEST_REPLAYED)


async def test_a_list_issued_by_another_participant_is_422(registry: RegistryHarness) -> None:
    """cert-01 posts, at its own URL, a list that cert-02 issued and signed: the proof verifies, the issuer is wrong."""
    foreign = signed_list("cert-01", "revocation-1", 1, issued_by="cert-02")
    body = problem(await registry.post("cert-01", foreign), 422, Code.STATUS_LIST_INVALID)
    assert "another participant" in str(body["detail"])
    assert (await registry.get(LIST)).status_code == 404


async def test_a_list_whose_proof_is_another_participants_key_is_422(registry: RegistryHarness) -> None:
    """The credential names cert-01 as issuer but cert-02's key signed it."""
    forged = signed_list("cert-01", "revocation-1", 1, signed_by="cert-02")
    body = problem(await registry.post("cert-01", forged), 422, Code.STATUS_LIST_INVALID)
    assert body["problems"], body


# -- what the credential must be -------------------------------------------------------------------


async def test_a_tampered_list_is_422_and_the_detail_never_echoes_the_input(registry: RegistryHarness) -> None:
    credential = signed_list("cert-01", "revocation-1", 1, set_indexes=[7])
    planted = signed_list("cert-01", "revocation-1", 1, set_indexes=[]).get("credentialSubject", {})["encodedList"]
    credential["credentialSubject"]["encodedList"] = planted  # un-revoke index 7 after signing
    answer = await registry.post("cert-01", credential)
    body = problem(answer, 422, Code.STATUS_LIST_INVALID)
    assert Code.PROOF_INVALID in str(body["detail"])
    assert planted not in answer.text
    assert (await registry.get(LIST)).status_code == 404


JANUARY = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
LATER = (datetime(2099, 1, 1, tzinfo=UTC), datetime(2099, 2, 1, tzinfo=UTC))
NOT_THE_LIST: dict[str, Callable[[], dict[str, Any]]] = {
    "another list's id": lambda: signed_list("cert-01", "revocation-2", 1),
    "a suspension list at a revocation URL": lambda: signed_list("cert-01", "revocation-1", 1, purpose="suspension"),
    "expired": lambda: signed_list("cert-01", "revocation-1", 1, valid_from=JANUARY[0], valid_until=JANUARY[1]),
    "not yet valid": lambda: signed_list("cert-01", "revocation-1", 1, valid_from=LATER[0], valid_until=LATER[1]),
    "not a status list": lambda: {"id": "https://registry.pilot.example/v1/status/cert-01/revocation-1"},
}


@pytest.mark.parametrize("case", sorted(NOT_THE_LIST))
async def test_a_credential_that_is_not_the_issuers_list_at_that_url_is_422(
    registry: RegistryHarness, case: str
) -> None:
    problem(await registry.post("cert-01", NOT_THE_LIST[case](), path=LIST), 422, Code.STATUS_LIST_INVALID)


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"x"', b"1", b"null", b"{}", b'{"id": 5}', b'{"credentialSubject": []}', b'{"@context": 5, "proof": "x"}'],
)
async def test_json_that_is_no_credential_is_422_never_a_500(registry: RegistryHarness, body: bytes) -> None:
    problem(await registry.post("cert-01", body, path=LIST), 422, Code.STATUS_LIST_INVALID)


async def test_a_body_that_is_not_strict_json_is_400(registry: RegistryHarness) -> None:
    problem(await registry.post("cert-01", b'{"id": 1, "id": 2}', path=LIST), 400, Code.JSON_MALFORMED)


async def test_another_media_type_is_415(registry: RegistryHarness) -> None:
    async with registry.client("cert-01") as client:
        answer = await client.post(LIST, content=b"{}", headers={"content-type": "text/plain"})
    problem(answer, 415, Code.UNSUPPORTED_MEDIA_TYPE)


async def test_a_body_over_one_mib_is_413_from_its_length_alone(registry: RegistryHarness) -> None:
    huge = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    problem(await registry.post("cert-01", huge, path=LIST), 413, Code.PAYLOAD_TOO_LARGE)
    # Someone else's oversized request: refused for who signed it, before its size matters.
    problem(await registry.post("cert-02", huge, path=LIST), 403, Code.FORBIDDEN)


async def test_a_list_keeps_its_purpose(registry: RegistryHarness) -> None:
    """The registry holds a list's purpose from its first version (its id names it, so no version can change it)."""
    assert (await registry.post("cert-01", signed_list("cert-01", "suspension-1", 1))).status_code == 201
    swapped = signed_list("cert-01", "suspension-1", 2, purpose="revocation")
    problem(await registry.post("cert-01", swapped), 422, Code.STATUS_LIST_INVALID)


# -- reading: caching, history, versions, time -------------------------------------------------------


async def test_etag_and_if_none_match(registry: RegistryHarness) -> None:
    first = signed_list("cert-01", "revocation-1", 1)
    await registry.post("cert-01", first)
    served = await registry.get(LIST)
    tag = served.headers["etag"]
    assert tag == f'"{credential_digest(first)}"'
    not_modified = await registry.get(LIST, headers={"if-none-match": tag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == tag and "max-age" in not_modified.headers["cache-control"]
    assert (await registry.get(LIST, headers={"if-none-match": f'W/{tag}, "other"'})).status_code == 304
    assert (await registry.get(LIST, headers={"if-none-match": '"sha-256:00"'})).status_code == 200

    await registry.post("cert-01", signed_list("cert-01", "revocation-1", 2, set_indexes=[1]))
    changed = await registry.get(LIST, headers={"if-none-match": tag})
    assert changed.status_code == 200 and changed.json()["sequence"] == 2
    assert changed.headers["etag"] != tag


async def test_max_age_is_the_ttl_never_past_valid_until(registry: RegistryHarness) -> None:
    await registry.post("cert-01", signed_list("cert-01", "revocation-1", 1, ttl=timedelta(minutes=5)))
    assert (await registry.get(LIST)).headers["cache-control"] == "public, max-age=300"

    ending = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=100)
    await registry.post(
        "cert-01", signed_list("cert-01", "suspension-1", 1, valid_until=ending, ttl=timedelta(hours=1))
    )
    control = (await registry.get(SUSPENSIONS)).headers["cache-control"]
    assert control.startswith("public, max-age=")
    assert 90 <= int(control.rsplit("=", 1)[1]) <= 100


async def test_history_and_each_version(registry: RegistryHarness) -> None:
    versions = [signed_list("cert-01", "revocation-1", n, set_indexes=range(n)) for n in (1, 2, 5)]
    bodies = []
    for credential in versions:
        body = json.dumps(credential, indent=n if (n := credential["sequence"]) > 1 else None).encode()
        bodies.append(body)
        assert (await registry.post("cert-01", body, path=LIST)).status_code == 201
    history = (await registry.get(LIST + "/history")).json()
    assert history["id"] == versions[0]["id"]
    assert [v["sequence"] for v in history["versions"]] == [1, 2, 5]
    for entry, credential in zip(history["versions"], versions, strict=True):
        assert entry["digest"] == credential_digest(credential)
        assert entry["validFrom"] == credential["validFrom"] and entry["validUntil"] == credential["validUntil"]
        assert parse_time(entry["receivedAt"]) <= datetime.now(UTC)
    for credential, body in zip(versions, bodies, strict=True):
        exact = await registry.get(f"{LIST}/versions/{credential['sequence']}")
        assert exact.status_code == 200 and exact.content == body
        assert exact.headers["etag"] == f'"{credential_digest(credential)}"'
        assert "immutable" in exact.headers["cache-control"]
    problem(await registry.get(f"{LIST}/versions/3"), 404, Code.NOT_FOUND)
    problem(await registry.get(f"{LIST}/versions/x"), 400, Code.REQUEST_INVALID)
    # Found by the deep schemathesis run: a sequence beyond a database integer was a 500 (SQLite overflow).
    for impossible in ("-1", str(2**53), "19134522326993657915166697717760"):
        problem(await registry.get(f"{LIST}/versions/{impossible}"), 400, Code.REQUEST_INVALID)


async def test_timestamp_gives_the_version_held_then(registry: RegistryHarness) -> None:
    await registry.post("cert-01", signed_list("cert-01", "revocation-1", 1))
    await registry.post("cert-01", signed_list("cert-01", "revocation-1", 2, set_indexes=[3]))
    first, second = (parse_time(v["receivedAt"]) for v in (await registry.get(LIST + "/history")).json()["versions"])
    assert first < second

    async def held_at(at: str) -> httpx.Response:
        return await registry.get(LIST, params={"timestamp": at})

    problem(await held_at("2026-01-01T00:00:00Z"), 404, Code.NOT_FOUND)
    assert (await held_at(format_time(first))).json()["sequence"] == 1
    assert (await held_at(format_time(second - timedelta(microseconds=1)))).json()["sequence"] == 1
    assert (await held_at(format_time(second))).json()["sequence"] == 2
    assert (await held_at("2099-01-01T00:00:00+08:00")).json()["sequence"] == 2
    problem(await held_at("yesterday"), 400, Code.REQUEST_INVALID)
    problem(await held_at("2026-01-01T00:00:00"), 400, Code.REQUEST_INVALID)  # no zone


@pytest.mark.parametrize(
    "path", [LIST, LIST + "/history", LIST + "/versions/1", "/v1/status/nobody/revocation-1", "/v1/status/Cert_01/x"]
)
async def test_an_unknown_list_is_404(registry: RegistryHarness, path: str) -> None:
    problem(await registry.get(path), 404, Code.NOT_FOUND)


# -- what every node serves ------------------------------------------------------------------------


async def test_health_trust_list_contexts_and_openapi(registry: RegistryHarness) -> None:
    health = (await registry.get("/health")).json()
    assert health == {
        "status": "ok",
        "node": "registry",
        "role": "trust_list_operator",
        "version": "0.1.0",
        "trustListSequence": sandbox().trust_list["sequence"],
        "database": registry.node.settings.database_kind,
    }
    assert (await registry.get("/v1/trust-list")).json() == sandbox().trust_list
    assert (await registry.get("/contexts/index.json")).status_code == 200
    assert "registry_status_list_posts" in (await registry.get("/metrics")).text
    document = (await registry.get("/openapi.json")).json()
    assert set(document["paths"]) >= {
        "/v1/status/{issuer}/{list}",
        "/v1/status/{issuer}/{list}/history",
        "/v1/status/{issuer}/{list}/versions/{sequence}",
        "/v1/trust-list",
    }
    post = document["paths"]["/v1/status/{issuer}/{list}"]["post"]
    assert {"201", "200", "403", "409", "413", "422"} <= set(post["responses"])
    assert "BitstringStatusListCredential" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert (await registry.get("/docs")).status_code == 200
