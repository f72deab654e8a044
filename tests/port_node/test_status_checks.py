"""The port checks every credential's status at receive time against the registry (docs/design.md §12).

The registry is the harness's ``RegistryStandin`` (in process), serving the data dir's generation-0 lists;
the port reaches it through ``node_core.status_cache.RegistryStatusLists``, as it does in deployment.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from node_core.status_cache import FAIL_FAST_S
from node_core.status_publish import publish_status_list
from pilot.sandbox import write_sandbox
from pilot.status_publishing import publish_data_dir_lists
from pilot.synthetic import Signer
from schemas.digest import credential_digest
from tests.port_node.port_harness import PortHarness, check_receipt, fresh_submission, sandbox
from tests.registry_node.registry_harness import BASE_URL, blocking_client, make_registry
from tests.support.registry import blocking_transport, list_version, status_entries_of

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def _cited_lists(document: dict[str, Any]) -> set[str]:
    """Every status list URL the manifest and the credentials of ``document`` cite."""
    return {
        entry["statusListCredential"]
        for credential in (document["manifest"], *document["credentials"])
        for entry in credential.get("credentialStatus", [])
    }


async def _decided(harness: PortHarness, document: dict[str, Any]) -> dict[str, Any]:
    response = await harness.submit("ru-exp-01", document)
    assert response.status_code == 201, response.text
    subject: dict[str, Any] = check_receipt(response.content)["credentialSubject"]
    return subject


async def test_an_accepted_receipt_names_a_version_of_every_list_its_credentials_cite(harness: PortHarness) -> None:
    document = fresh_submission("ru-exp-01", "status-names")
    subject = await _decided(harness, document)
    assert subject["decision"] == "accepted", subject["reasons"]
    named = {item["id"]: item for item in subject["statusLists"]}
    assert set(named) == _cited_lists(document)
    assert len(named) == len(subject["statusLists"])  # each version once
    assert harness.registry is not None
    for url, item in named.items():
        served = json.loads(harness.registry.lists[url.removeprefix("https://registry.pilot.example")])
        assert (item["sequence"], item["digest"]) == (1, credential_digest(served))


async def test_a_revocation_published_to_the_registry_rejects_the_next_submission(harness: PortHarness) -> None:
    registry = harness.registry
    assert registry is not None
    registry.max_age = 0  # no caching: every lookup asks the registry
    first = fresh_submission("ru-exp-01", "status-before")
    assert (await _decided(harness, first))["decision"] == "accepted"

    farm_record = first["credentials"][0]
    url, index = status_entries_of(farm_record)
    registry.publish(list_version(sandbox().keyrings, url, sequence=2, set_indexes=[index]))

    second = fresh_submission("ru-exp-01", "status-after")
    assert second["credentials"][0]["id"] == farm_record["id"]  # the same farm record, now revoked
    subject = await _decided(harness, second)
    assert subject["decision"] == "rejected"
    revoked = [r for r in subject["reasons"] if r["code"] == "CREDENTIAL_REVOKED"]
    assert [r["path"] for r in revoked] == ["/credentials/0/credentialStatus/0"]
    assert {"id": url, "sequence": 2} in [{k: item[k] for k in ("id", "sequence")} for item in subject["statusLists"]]


async def test_with_the_registry_down_the_port_holds_and_never_accepts(harness: PortHarness) -> None:
    registry = harness.registry
    assert registry is not None
    registry.fault = "down"
    document = fresh_submission("ru-exp-01", "status-down")
    subject = await _decided(harness, document)
    assert subject["decision"] == "held_for_inspection"
    unavailable = [r for r in subject["reasons"] if r["code"] == "STATUS_UNAVAILABLE"]
    assert unavailable and all(r["severity"] == "warning" for r in unavailable)
    assert len(unavailable) == sum(
        len(c.get("credentialStatus", [])) for c in (document["manifest"], *document["credentials"])
    )
    assert "statusLists" not in subject  # it relied on no list
    async with harness.client() as client:
        health = (await client.get("/health")).json()
        metrics = (await client.get("/metrics")).text
    assert health["status"] == "degraded", health
    assert health["registry"]["reachable"] is False
    assert any(r.startswith("STATUS_UNAVAILABLE: the registry") for r in health["reasons"]), health
    assert 'pilot_status_list_fetches_total{outcome="unavailable"}' in metrics

    registry.fault = None  # back: the next submission is checked, and the port is healthy again
    await asyncio.sleep(FAIL_FAST_S)  # once the pause after a registry that did not answer is over
    subject = await _decided(harness, fresh_submission("ru-exp-01", "status-back"))
    assert subject["decision"] == "accepted", subject["reasons"]
    async with harness.client() as client:
        health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["registry"] == {"reachable": True, "problem": None}, health


async def test_the_health_is_ok_before_any_status_lookup(harness: PortHarness) -> None:
    async with harness.client() as client:
        health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["registry"]["reachable"] is True, health


async def test_lists_are_fetched_once_and_then_served_from_the_cache(harness: PortHarness) -> None:
    registry = harness.registry
    assert registry is not None
    for name in ("cache-1", "cache-2"):
        assert (await _decided(harness, fresh_submission("ru-exp-01", name)))["decision"] == "accepted"
    paths = [r.url.path for r in registry.requests]
    assert len(paths) == len(set(paths)), paths  # each list fetched once within its ttl
    async with harness.client() as client:
        metrics = (await client.get("/metrics")).text
    assert f'pilot_status_list_fetches_total{{outcome="fetched"}} {float(len(paths))}' in metrics
    assert "pilot_status_list_cache_hits_total" in metrics


async def test_the_port_rejects_what_the_real_registry_says_is_revoked(tmp_path: Path, database_url: str) -> None:
    """The registry app (``registry_node``) holding the sandbox's lists and a newer version revoking a farm record."""
    registry = make_registry(tmp_path / "registry", f"sqlite:///{tmp_path / 'registry.db'}")
    document = fresh_submission("ru-exp-01", "real-registry")
    url, index = status_entries_of(document["credentials"][0])
    try:
        with blocking_client(registry.app) as client:
            assert all(o.ok for o in publish_data_dir_lists(registry.data_dir, BASE_URL, client=client))
            revoking = list_version(sandbox().keyrings, url, sequence=2, set_indexes=[index])
            publish_status_list(client, BASE_URL, revoking, Signer(sandbox().keyrings).key("ru-exp-01"))
        with blocking_transport(registry.app) as transport:
            write_sandbox(sandbox(), tmp_path / "port")
            harness = PortHarness(tmp_path / "port", database_url, registry_transport=transport)
            try:
                subject = await _decided(harness, document)
            finally:
                harness.close()
    finally:
        registry.close()
    assert subject["decision"] == "rejected"
    assert [r["code"] for r in subject["reasons"]] == ["CREDENTIAL_REVOKED"]
    named = {item["id"]: item for item in subject["statusLists"]}
    assert (named[url]["sequence"], named[url]["digest"]) == (2, credential_digest(revoking))
