"""``node_core.status_publish``: publishing to the real registry app (in process), and each answer sorted by blame.

The registry is the real ``registry_node`` app over a real database (SQLite, or PostgreSQL under ``-m db``),
reached in process through ``httpx.ASGITransport``. Only what is outside the system is faked with
``httpx.MockTransport``: a registry that cannot be reached, is overloaded, or answers garbage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    registry_highest_sequence,
    registry_highest_sequence_async,
)
from pilot.synthetic import Signer
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.keyring import KeyEntry
from schemas.status_list import status_list_url
from tests.registry_node.registry_harness import (
    BASE_URL,
    RegistryHarness,
    blocking_client,
    sandbox,
    signed_list,
)
from tests.support.surface import assert_exports

pytestmark = pytest.mark.db


def key_of(participant: str) -> KeyEntry:
    return Signer(sandbox().keyrings).key(participant, "key-1")


@pytest.fixture
def client(registry_app: RegistryHarness) -> Iterator[httpx.Client]:
    with blocking_client(registry_app.app) as sync_client:
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
        "registry_highest_sequence",
        "registry_highest_sequence_async",
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
async def test_the_async_client(registry_app: RegistryHarness) -> None:
    credential = signed_list("ru-exp-01", "revocation-1", 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app.app)) as client:
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


# -- the registry's highest sequence, after a 409 ------------------------------------------------------

LIST_URL = status_list_url("cert-01", "revocation-1")


def _refused_older(client: httpx.Client) -> PublishRefused:
    """Publish version 3 of cert-01's list, then version 2: the registry's refusal."""
    publish_status_list(client, BASE_URL, signed_list("cert-01", "revocation-1", 3), key_of("cert-01"))
    with pytest.raises(PublishRefused) as caught:
        publish_status_list(client, BASE_URL, signed_list("cert-01", "revocation-1", 2), key_of("cert-01"))
    return caught.value


def test_a_409_names_the_registrys_highest_sequence(client: httpx.Client) -> None:
    refused = _refused_older(client)
    assert refused.out_of_order and refused.held_sequence == 3
    with _fake(_refuse_connection) as offline:  # named in the refusal: the registry is not asked again
        assert registry_highest_sequence(offline, BASE_URL, LIST_URL, refused) == 3


def test_without_a_held_sequence_the_history_says_it(client: httpx.Client) -> None:
    assert registry_highest_sequence(client, BASE_URL, LIST_URL) == 0  # no version held yet
    _refused_older(client)
    unnamed = PublishRefused(Code.STATUS_LIST_OUT_OF_ORDER, 409, "a registry that does not name it")
    assert unnamed.out_of_order and unnamed.held_sequence is None
    assert registry_highest_sequence(client, BASE_URL + "/", LIST_URL, unnamed) == 3


@pytest.mark.anyio
async def test_the_highest_sequence_with_the_async_client(registry_app: RegistryHarness) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app.app)) as client:
        assert await registry_highest_sequence_async(client, BASE_URL, LIST_URL) == 0
        await publish_status_list_async(client, BASE_URL, signed_list("cert-01", "revocation-1", 4), key_of("cert-01"))
        with pytest.raises(PublishRefused) as caught:
            await publish_status_list_async(
                client, BASE_URL, signed_list("cert-01", "revocation-1", 4, set_indexes=[1]), key_of("cert-01")
            )
        assert caught.value.held_sequence == 4
        assert await registry_highest_sequence_async(client, BASE_URL, LIST_URL, caught.value) == 4
        assert await registry_highest_sequence_async(client, BASE_URL, LIST_URL) == 4


def test_other_refusals_name_no_held_sequence(client: httpx.Client) -> None:
    with pytest.raises(PublishRefused) as caught:
        publish_status_list(client, BASE_URL, signed_list("cert-01", "revocation-1", 1), key_of("cert-02"))
    assert not caught.value.out_of_order and caught.value.held_sequence is None


@pytest.mark.parametrize(
    "held",
    [True, -1, "3", 2.5, None],
)
def test_a_held_sequence_that_is_no_sequence_is_not_taken(held: Any) -> None:
    problem = {"code": "STATUS_LIST_OUT_OF_ORDER", "detail": "older", "heldSequence": held}
    with _fake(_answer(409, problem)) as fake, pytest.raises(PublishRefused) as caught:
        publish_status_list(fake, "http://registry.test", signed_list("cert-01", "revocation-1", 1), key_of("cert-01"))
    assert caught.value.out_of_order and caught.value.held_sequence is None


@pytest.mark.parametrize(
    "handler",
    [
        _refuse_connection,
        lambda request: httpx.Response(503, json={"code": "INTERNAL_ERROR"}),
        lambda request: httpx.Response(200, json={"versions": []}),
        lambda request: httpx.Response(200, content=b"not json"),
    ],
)
def test_a_history_that_cannot_be_had_is_unavailable(handler: Callable[[httpx.Request], httpx.Response]) -> None:
    with _fake(handler) as fake, pytest.raises(RegistryUnavailable, match="the registry's history"):
        registry_highest_sequence(fake, "http://registry.test", LIST_URL)
