"""The exporter checks credentials' status as the port does (docs/design.md §12): on import, and in the
consignment pre-check, which refuses with the port's own code; a status it cannot establish does not refuse.

The exporter reaches a registry stand-in (``tests.support.registry``, in process) serving the sandbox's
generation-0 lists; the certificate and attestation carry entries in cert-01's and ru-vet's lists.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter_node.state import ExporterNode
from node_core.settings import NodeSettings
from pilot.fixture_status import fixture_status
from pilot.sandbox import Sandbox
from schemas.identifiers import did_of
from schemas.issue import secure, unsigned_credential
from tests.exporter_node.conftest import Scenario
from tests.exporter_node.exporter_harness import ExporterHarness, running_exporter
from tests.support.port import FakePort
from tests.support.registry import REGISTRY_URL, RegistryStandin, list_version, status_entries_of

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@pytest.fixture
def registry(data_dir: Path) -> RegistryStandin:
    """The registry, holding every generation-0 list of the sandbox."""
    return RegistryStandin.from_data_dir(data_dir)


@pytest.fixture
async def checking_exporter(
    settings: NodeSettings, port: FakePort, registry: RegistryStandin
) -> AsyncIterator[ExporterHarness]:
    """``ru-exp-01`` that finds the registry stand-in as its peer ``registry``."""
    settings.peer_urls = {**settings.peer_urls, "registry": REGISTRY_URL}
    node = ExporterNode.open(settings, registry_transport=registry.transport())
    port.follow(node)
    async with running_exporter(settings, port.transport(), node=node) as harness:
        yield harness


def signer_with_status(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """Like the conftest's ``sign``, but every credential carries generation-0 status entries of its issuer."""

    def sign(short_id: str, record_type: str, subject: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        entry = next(e for e in sandbox.keyrings[short_id] if e.verification_method.endswith("#key-1"))
        valid_from = datetime(2026, 1, 1, tzinfo=UTC)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        credential = unsigned_credential(
            record_type,
            subject,
            credential_id=credential_id,
            issuer_did=did_of(short_id),
            issuer_name=short_id,
            valid_from=valid_from,
            valid_until=datetime(2036, 6, 1, tzinfo=UTC),
            credential_status=fixture_status(short_id, credential_id, record_type),
        )
        return secure(credential, entry.private_key, entry.verification_method, created=valid_from)

    return sign


@pytest.fixture
def scenario(checking_exporter: ExporterHarness, world: Any, sandbox: Sandbox) -> Scenario:
    return Scenario(checking_exporter, world, signer_with_status(sandbox))


def _set_bit(registry: RegistryStandin, sandbox: Sandbox, credential: dict[str, Any], purpose: str) -> None:
    """Publish the next version of ``credential``'s ``purpose`` list with its bit set."""
    url, index = status_entries_of(credential, purpose)
    registry.publish(list_version(sandbox.keyrings, url, sequence=2, set_indexes=[index]))


@pytest.mark.parametrize(
    ("purpose", "code"), [("revocation", "CREDENTIAL_REVOKED"), ("suspension", "CREDENTIAL_SUSPENDED")]
)
async def test_a_revoked_or_suspended_credential_is_not_imported(
    scenario: Scenario, registry: RegistryStandin, sandbox: Sandbox, purpose: str, code: str
) -> None:
    await scenario.register()
    certificate = scenario.certificate()
    _set_bit(registry, sandbox, certificate, purpose)
    response = await scenario.exporter.client.post("/v1/credentials", json=certificate)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == code
    assert [p["path"] for p in problem["problems"]] == [f"/credentialStatus/{0 if purpose == 'revocation' else 1}"]
    assert (await scenario.exporter.client.get("/v1/credentials")).json() == []


async def test_an_import_whose_status_cannot_be_established_is_kept_with_a_warning(
    scenario: Scenario, registry: RegistryStandin
) -> None:
    await scenario.register()
    registry.fault = "down"
    response = await scenario.exporter.client.post("/v1/credentials", json=scenario.certificate())
    assert response.status_code == 201, response.text
    assert {w["code"] for w in response.json()["warnings"]} == {"STATUS_UNAVAILABLE"}


@pytest.mark.parametrize(
    ("purpose", "code"), [("revocation", "CREDENTIAL_REVOKED"), ("suspension", "CREDENTIAL_SUSPENDED")]
)
async def test_the_precheck_refuses_a_consignment_citing_a_certificate_revoked_after_import(
    scenario: Scenario, registry: RegistryStandin, sandbox: Sandbox, port: FakePort, purpose: str, code: str
) -> None:
    registry.max_age = 0  # the exporter keeps no list: it asks the registry at every lookup
    await scenario.register()
    certificate = scenario.certificate()
    for credential in (certificate, scenario.attestation()):
        assert (await scenario.exporter.client.post("/v1/credentials", json=credential)).status_code == 201
    _set_bit(registry, sandbox, certificate, purpose)

    response = await scenario.consign("c-status")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["reasonCodes"]) == (code, [code])
    assert (await scenario.exporter.client.get("/v1/consignments/c-status")).status_code == 404
    assert (await scenario.exporter.client.get("/v1/outbox")).json() == []
    assert port.requests == []


async def test_the_precheck_does_not_refuse_when_the_status_cannot_be_established(
    scenario: Scenario, registry: RegistryStandin
) -> None:
    await scenario.prepare()
    registry.fault = "down"
    response = await scenario.consign("c-status-unknown")
    assert response.status_code == 202, response.text
    assert [o["consignmentId"] for o in (await scenario.exporter.client.get("/v1/outbox")).json()] == [
        "c-status-unknown"
    ]


async def test_a_consignment_with_good_status_is_queued_and_the_registry_was_asked(
    scenario: Scenario, registry: RegistryStandin
) -> None:
    await scenario.prepare()
    asked_before = len(registry.requests)
    assert (await scenario.consign("c-status-good")).status_code == 202
    assert asked_before > 0  # the imports looked the status up already
    assert {r.url.path for r in registry.requests} >= {
        "/v1/status/cert-01/revocation-0",
        "/v1/status/cert-01/suspension-0",
        "/v1/status/ru-vet/revocation-0",
        "/v1/status/ru-vet/suspension-0",
    }
    metrics = scenario.exporter.app.state.metrics.render().decode()
    assert 'pilot_status_list_fetches_total{outcome="fetched"} 4.0' in metrics
    assert "pilot_status_list_cache_hits_total" in metrics
