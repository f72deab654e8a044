"""``node_core.status_publish``: publishing to the real registry app (in process), and each answer sorted by blame.

The registry is the real ``registry_node`` app over a real database (SQLite, or PostgreSQL under ``-m db``),
reached in process through ``httpx.ASGITransport``. Only what is outside the system is faked with
``httpx.MockTransport``: a registry that cannot be reached, is overloaded, or answers garbage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.status_publish import (
    Published,
    PublishError,
    PublishRefused,
    RegistryUnavailable,
    publish_status_list,
    publish_status_list_async,
)
from pilot.synthetic import Signer
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.keyring import KeyEntry
from tests.registry_node.registry_harness import (
    BASE_URL,
    RegistryHarness,
    blocking_client,
    make_registry,
    sandbox,
    signed_list,
)
from tests.support.surface import assert_exports

pytestmark = pytest.mark.db


def key_of(participant: str) -> KeyEntry:
    return Signer(sandbox().keyrings).key(participant, "key-1")


@pytest.fixture
def registry(tmp_path: Path, database_url: str) -> Iterator[RegistryHarness]:
    harness = make_registry(tmp_path, database_url)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def client(registry: RegistryHarness) -> Iterator[httpx.Client]:
    with blocking_client(registry.app) as sync_client:
        yield sync_client


def test_the_public_surface() -> None:
    import node_core.status_publish as module

    assert_exports(
        module,
        "Published",
        "PublishError",
        "PublishRefused",
        "RegistryUnavailable",
        "publish_status_list",
        "publish_status_list_async",
    )
    assert issubclass(PublishRefused, PublishError) and issubclass(RegistryUnavailable, PublishError)


def test_new_then_identical_then_older(client: httpx.Client) -> None:
    second = signed_list("cert-01", "revocation-1", 2, set_indexes=[3])
    published = publish_status_list(client, BASE_URL, second, key_of("cert-01"))
    assert published == Published(status=201, sequence=2, digest=credential_digest(second))
    # The same version again: a fresh signature (a new nonce, so no replay), and the registry says it holds it.
    assert publish_status_list(client, BASE_URL + "/", second, key_of("cert-01")).status == 200
    with pytest.raises(PublishRefused) as caught:
        publish_status_list(client, BASE_URL, signed_list("cert-01", "revocation-1", 1), key_of("cert-01"))
    assert (caught.value.code, caught.value.status) == (Code.STATUS_LIST_OUT_OF_ORDER, 409)
    assert "version 2" in caught.value.detail


def test_a_key_of_another_participant_is_refused(client: httpx.Client) -> None:
    with pytest.raises(PublishRefused) as caught:
        publish_status_list(client, BASE_URL, signed_list("cert-01", "revocation-1", 1), key_of("cert-02"))
    assert (caught.value.code, caught.value.status) == (Code.FORBIDDEN, 403)


def test_a_list_that_does_not_verify_is_refused(client: httpx.Client) -> None:
    tampered = signed_list("cert-01", "revocation-1", 1)
    tampered["sequence"] = 9
    with pytest.raises(PublishRefused) as caught:
        publish_status_list(client, BASE_URL, tampered, key_of("cert-01"))
    assert (caught.value.code, caught.value.status) == (Code.STATUS_LIST_INVALID, 422)


@pytest.mark.anyio
async def test_the_async_client(registry: RegistryHarness) -> None:
    credential = signed_list("ru-exp-01", "revocation-1", 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=registry.app)) as client:
        created = await publish_status_list_async(client, BASE_URL, credential, key_of("ru-exp-01"))
        again = await publish_status_list_async(client, BASE_URL, credential, key_of("ru-exp-01"))
        with pytest.raises(PublishRefused) as caught:
            await publish_status_list_async(client, BASE_URL, credential, key_of("ru-exp-02"))
    assert (created.status, again.status, created.digest) == (201, 200, credential_digest(credential))
    assert caught.value.status == 403


def test_not_a_pilot_status_list_is_the_callers_mistake(client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="not a pilot status list URL"):
        publish_status_list(client, BASE_URL, {"id": "https://example.org/lists/1"}, key_of("cert-01"))


# -- a registry outside our control ------------------------------------------------------------------


def _fake(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _answer(status: int, body: Any = None, content: bytes | None = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["signature-input"].startswith("sig1=")  # every attempt is signed
        return httpx.Response(status, json=body) if content is None else httpx.Response(status, content=content)

    return handler


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (_refuse_connection, None),
        (_answer(503, {"code": "INTERNAL_ERROR", "detail": "down"}), 503),
        (_answer(500, content=b"<html>oops</html>"), 500),
        (_answer(429, {"code": "RATE_LIMITED", "detail": "busy"}), 429),
        (_answer(201, content=b"not json"), 201),
        (_answer(201, {"sequence": "x"}), 201),
    ],
)
def test_an_unreachable_busy_or_garbled_registry_is_unavailable(
    handler: Callable[[httpx.Request], httpx.Response], status: int | None
) -> None:
    with _fake(handler) as client, pytest.raises(RegistryUnavailable) as caught:
        publish_status_list(
            client, "http://registry.test", signed_list("cert-01", "revocation-1", 1), key_of("cert-01")
        )
    assert caught.value.status == status


def test_a_refusal_without_a_problem_body_keeps_its_status() -> None:
    with _fake(_answer(404, content=b"nothing here")) as client, pytest.raises(PublishRefused) as caught:
        publish_status_list(
            client, "http://registry.test", signed_list("cert-01", "revocation-1", 1), key_of("cert-01")
        )
    assert (caught.value.code, caught.value.status, caught.value.detail) == (None, 404, "nothing here")
