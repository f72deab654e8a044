"""Property-based API fuzzing with schemathesis: every operation of the three services, signed after serialization.

Each case schemathesis generates from a node's own ``/openapi.json`` is serialized to an ``httpx.Request``
first, then authenticated as that operation needs: RFC 9421-signed by ``ru-exp-01`` over the final bytes
(``node_core.http_signatures.sign_request``: ``Content-Digest`` of the body actually sent, fresh nonce and
``created``) for the port's exporter routes, the operator's bearer token for the exporter node's ``/v1``
routes, and RFC 9421-signed by ``cert-01`` (an issuer) for the registry's publishing route. Without that
nearly every case would stop at a 401. The request goes to the app in process
(``starlette.testclient.TestClient`` without its lifespan) and the answer must pass schemathesis's
checks: no 5xx, a documented status code, the documented content type, headers and body schema.

CI size: at least 100 cases per operation; ``slow``: at least 1,000.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exporter_node.app import create_app as create_exporter_app
from node_core.http_signatures import sign_request
from node_core.settings import NodeSettings
from pilot.synthetic import Signer
from tests.port_node.port_harness import BASE_URL, make_harness, sandbox
from tests.registry_node.registry_harness import BASE_URL as REGISTRY_BASE_URL
from tests.registry_node.registry_harness import make_registry
from tests.support.reproducible import reproducible

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXPORTER = "ru-exp-01"
#: Port operations an exporter signs (the rest are public).
SIGNED = {
    "POST /v1/submissions",
    "POST /v1/submissions:batch",
    "GET /v1/submissions/{submission_id}",
    "GET /v1/receipts/{submission_id}",
}

#: Port operations for the operator (its bearer token).
OPERATOR_PREFIXES = ("/v1/dashboard", "/v1/operator")


@dataclass
class Service:
    """One app under test and how its requests are authenticated."""

    name: str
    app: FastAPI
    authenticate: Callable[[str, httpx.Request], None]
    close: Callable[[], None]
    counts: Counter[str] = field(default_factory=Counter)
    #: The public origin requests are made for (signed requests are refused at any other).
    base_url: str = BASE_URL


def _port(tmp: Path) -> Service:
    harness = make_harness(tmp, f"sqlite:///{tmp / 'port.db'}")
    entry = Signer(sandbox().keyrings).key(EXPORTER, "key-1")

    token = harness.operator_token

    def authenticate(label: str, request: httpx.Request) -> None:
        if label in SIGNED:
            sign_request(request, entry.private_key, entry.verification_method)
        elif label.split(" ", 1)[1].startswith(OPERATOR_PREFIXES):
            request.headers["authorization"] = f"Bearer {token}"

    return Service("port", harness.app, authenticate, harness.close)


def _exporter(tmp: Path) -> Service:
    harness = make_harness(tmp, f"sqlite:///{tmp / 'unused.db'}")
    harness.close()
    settings = NodeSettings(
        node_id=EXPORTER,
        data_dir=harness.data_dir,
        database_url=f"sqlite:///{tmp / 'exporter.db'}",
        peer_urls={"cn-port-01": "http://127.0.0.1:9"},
    )
    app = create_exporter_app(settings)
    token = (harness.data_dir / "tokens" / EXPORTER).read_text().strip()

    def authenticate(label: str, request: httpx.Request) -> None:
        if " /v1/" in label and label != "GET /v1/trust-list":
            request.headers["authorization"] = f"Bearer {token}"

    return Service("exporter", app, authenticate, lambda: None)


#: The registry's operation an issuer signs (the rest are public).
REGISTRY_SIGNED = "POST /v1/status/{issuer}/{list}"
REGISTRY_ISSUER = "cert-01"


def _registry(tmp: Path) -> Service:
    harness = make_registry(tmp, f"sqlite:///{tmp / 'registry.db'}")
    method, path = REGISTRY_SIGNED.split(" ")
    assert method.lower() in harness.app.openapi()["paths"][path]  # the signed route is the one fuzzed
    entry = Signer(sandbox().keyrings).key(REGISTRY_ISSUER, "key-1")

    def authenticate(label: str, request: httpx.Request) -> None:
        if label == REGISTRY_SIGNED:
            sign_request(request, entry.private_key, entry.verification_method)

    return Service("registry", harness.app, authenticate, harness.close, base_url=REGISTRY_BASE_URL)


SERVICES: dict[str, Callable[[Path], Service]] = {"port": _port, "exporter": _exporter, "registry": _registry}


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The port (``cn-port-01``), the exporter (``ru-exp-01``) or the registry, over a fresh SQLite database."""
    built = SERVICES[request.param](tmp_path)
    try:
        yield built
    finally:
        built.close()


def _to_request(case: schemathesis.Case, base_url: str) -> httpx.Request:
    """The case serialized exactly as it will be sent, to the service's public origin."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if v is not None}
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        content = data if isinstance(data, bytes) else str(data).encode()
    return httpx.Request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, content=content)


def fuzz(service: Service, examples: int) -> dict[str, int]:
    """Run ``examples`` cases against every operation of ``service``; the number run per operation."""
    document = service.app.openapi()
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    with anyio.from_thread.start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app, raise_app_exceptions=False))
        try:
            for result in schema.get_all_operations():
                _fuzz_operation(service, result.ok(), examples, lambda r: portal.call(client.send, r), failures)
        finally:
            portal.call(client.aclose)
    failed = [f.split(": ", 1)[0] for f in failures]
    assert not failures, f"{len(failures)} operations failed: {failed}\n\n" + "\n\n".join(failures[:5])
    return dict(service.counts)


def _fuzz_operation(
    service: Service,
    operation: Any,
    examples: int,
    send: Callable[[httpx.Request], httpx.Response],
    failures: list[str],
) -> None:
    """Run ``examples`` cases of one operation; failures are appended to ``failures``."""
    label = f"{operation.method.upper()} {operation.path}"

    # Valid and invalid data both; the integer only keeps hypothesis from stopping early on an
    # operation without parameters, whose every case is the same request.
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @reproducible(examples, phases=[Phase.explicit, Phase.generate])
    @given(case=strategy, _repeat=st.integers(0, 1 << 30))
    def run(case: schemathesis.Case, _repeat: int) -> None:
        request = _to_request(case, service.base_url)
        service.authenticate(label, request)
        response = send(request)
        service.counts[label] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup: keep it, go on
        failures.append(f"{label}: {exc!r}"[:3000])


def _check_counts(service: Service, counts: dict[str, int], minimum: int) -> None:
    expected = {f"{m.upper()} {p}" for p, ops in service.app.openapi()["paths"].items() for m in ops}
    assert set(counts) == expected, expected ^ set(counts)
    short = {label: n for label, n in counts.items() if n < minimum}
    assert not short, f"operations with fewer than {minimum} cases: {short}"
    print(
        f"\nschemathesis {service.name}: {len(counts)} operations, {sum(counts.values())} cases, "
        f"min {min(counts.values())} per operation",
        file=sys.stderr,
    )


def test_schemathesis_every_operation(service: Service) -> None:
    """CI size: at least 100 cases per operation; no 5xx; every answer conforms to the document."""
    counts = fuzz(service, 110)
    _check_counts(service, counts, 100)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_schemathesis_every_operation_deep(service: Service) -> None:
    """Deep: at least 1,000 cases per operation."""
    counts = fuzz(service, 1050)
    _check_counts(service, counts, 1000)
