"""The audit tools reach a port through ``node_core.port_client``: its errors become the audit's, split by blame."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pilot.audit.errors import EvidenceError, NodeUnreachableError
from pilot.audit.nodes import AuditNetwork

PORT = "cn-port-01"
URL = "http://cn-port-01.test"


def network_answering(tmp_path: Path, handle: httpx.MockTransport) -> AuditNetwork:
    network = AuditNetwork(tmp_path, {PORT: URL})
    network.clients[PORT] = httpx.Client(base_url=URL, transport=handle)
    return network


def test_a_port_that_does_not_answer_is_unreachable(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    network = network_answering(tmp_path, httpx.MockTransport(refuse))
    unreachable = pytest.raises(NodeUnreachableError, match="cn-port-01 did not answer GET /v1/log/checkpoint: Connect")
    with network, unreachable, network.port(PORT) as port:
        port.checkpoint()


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, json={"code": "LOG_UNAVAILABLE"}),
        httpx.Response(404, json={"code": "NOT_FOUND"}),
        httpx.Response(200, content=b"{not json"),
    ],
)
def test_an_answer_that_is_not_the_evidence_asked_for_is_an_evidence_error(
    tmp_path: Path, answer: httpx.Response
) -> None:
    network = network_answering(tmp_path, httpx.MockTransport(lambda request: answer))
    unusable = pytest.raises(EvidenceError, match="cn-port-01 answered GET /v1/log/proof/inclusion")
    with network, unusable, network.port(PORT) as port:
        port.inclusion_proof(0, 1)


def test_the_operator_token_goes_with_the_port_calls(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b'{"receipt":1}')

    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens" / PORT).write_text("secret-token\n")
    network = AuditNetwork(tmp_path, {PORT: URL})
    client = network.client(PORT)  # made with the token, then pointed at the scripted port
    network.clients[PORT] = httpx.Client(base_url=URL, headers=client.headers, transport=httpx.MockTransport(handle))
    with network, network.port(PORT) as port:
        assert port.receipt("c-1", exporter="ru-exp-01") == b'{"receipt":1}'
    assert seen[0].headers["authorization"] == "Bearer secret-token"
    assert str(seen[0].url) == f"{URL}/v1/receipts/c-1?exporter=ru-exp-01"
