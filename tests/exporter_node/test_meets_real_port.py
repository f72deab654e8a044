"""The exporter's delivery worker against the real port app, in process (``httpx.ASGITransport``, no sockets).

The port checks status against a registry stand-in (``tests.support.registry``) serving the sandbox's lists
and the exporter's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, write_sandbox
from port_node.app import create_app
from port_node.state import PortNode
from schemas.receipt import leaf_input_of, log_entry_of, verify_receipt
from schemas.time import utc_now
from schemas.trust import TrustRegistry
from tests.support.registry import REGISTRY_URL, RegistryStandin

pytestmark = [pytest.mark.anyio, pytest.mark.db]

EXPORTER, PORT = "ru-exp-01", "cn-port-01"


@pytest.fixture
def registry(tmp_path: Path, sandbox: Sandbox) -> RegistryStandin:
    """The registry the port fetches status lists from: the sandbox's lists (and the exporter's, once followed)."""
    data_dir = tmp_path / "registry-data"
    write_sandbox(sandbox, data_dir)
    return RegistryStandin.from_data_dir(data_dir)


@pytest.fixture
def real_port(tmp_path: Path, sandbox: Sandbox, settings: NodeSettings, registry: RegistryStandin) -> Iterator[Any]:
    """cn-port-01's app over its own SQLite database, answering at the URL the exporter has for it."""
    data_dir = tmp_path / "port-data"
    write_sandbox(sandbox, data_dir)
    port_settings = NodeSettings(
        node_id=PORT,
        data_dir=data_dir,
        database_url=f"sqlite:///{tmp_path / 'port.db'}",
        public_origins=[settings.peer_urls[PORT]],
        peer_urls={"registry": REGISTRY_URL},
    )
    app = create_app(port_settings, node=PortNode.open(port_settings, registry_transport=registry.transport()))
    try:
        yield app
    finally:
        app.state.node.close()


async def test_the_worker_delivers_to_the_real_port_and_both_sides_agree(
    settings: NodeSettings,
    real_port: Any,
    trust: TrustRegistry,
    make_exporter: Callable[..., Any],
    make_scenario: Callable[[Any], Any],
    registry: RegistryStandin,
) -> None:
    port = real_port.state.node
    async with make_exporter(settings, httpx.ASGITransport(app=real_port)) as exporter:
        registry.follow(exporter.node)
        scenario = make_scenario(exporter)
        await scenario.prepare()
        for consignment_id in ("c-real-1", "c-real-2"):  # the second checkpoint is checked against the first
            response = await scenario.consign(consignment_id, scenario.lot(len(consignment_id)))
            assert response.status_code == 202, response.text
            await exporter.worker.run_until_idle(10)
            view = await scenario.view(consignment_id)
            assert view["state"] == "delivered", view["attemptLog"]
            receipt = view["receipt"]
            named = {item["id"] for item in receipt["credentialSubject"]["statusLists"]}
            assert f"https://registry.pilot.example/v1/status/{EXPORTER}/revocation-1" in named
            verified = verify_receipt(
                receipt,
                trust,
                port_id=PORT,
                at=utc_now(),
                submission_id=consignment_id,
                submission_digest=view["submissionDigest"],
            )
            stored = port.store.find(EXPORTER, consignment_id)
            assert stored is not None and orjson.loads(stored.receipt) == receipt
            assert verified.decision == stored.decision == view["decision"]
            [(_, leaf)] = port.store.leaf_inputs(verified.log_index, verified.log_index + 1)
            assert leaf == leaf_input_of(log_entry_of(EXPORTER, receipt["credentialSubject"]))
        known = exporter.node.storage.known_checkpoint(PORT)
        assert known is not None and known.size == 2
    assert port.log.size == 2
