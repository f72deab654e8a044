"""The base app: /health, /metrics with a per-app registry, request ids in JSON-lines logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.logging import configure_logging
from tests.support.nodes import base_app


def make(tmp_path: Path, node_id: str = "cn-port-01") -> Any:
    app = base_app(tmp_path, node_id, max_inflight=4)

    @app.get("/v1/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        logging.getLogger("pilot.test").info("item served", extra={"item": item_id})
        return {"id": item_id}

    return app


def get_all(app: Any, *paths: str, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client:
            return [await client.get(path, headers=headers) for path in paths]

    return asyncio.run(run())


def test_health(tmp_path: Path) -> None:
    [response] = get_all(make(tmp_path), "/health")
    assert response.json() == {
        "status": "ok",
        "node": "cn-port-01",
        "role": "port",
        "version": "0.1.0",
        "trustListSequence": 7,
        "database": "sqlite",
    }
    assert response.headers["x-request-id"]


def test_metrics_per_app_registry(tmp_path: Path) -> None:
    first, second = make(tmp_path, "cn-port-01"), make(tmp_path, "cn-port-02")
    get_all(first, "/v1/items/1", "/v1/items/2", "/nowhere/3")
    [metrics] = get_all(first, "/metrics")
    [other] = get_all(second, "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'pilot_http_requests_total{method="GET",route="/v1/items/{item_id}",status="200"} 2.0' in text
    assert 'route="<unmatched>",status="404"' in text and "/nowhere" not in text
    assert "/v1/items" not in other.text
    counter = first.state.metrics.counter("receipts_issued", "Receipts issued.", ["decision"])
    counter.labels("accepted").inc()
    assert "pilot_receipts_issued_total" in get_all(first, "/metrics")[0].text


def test_openapi_is_served(tmp_path: Path) -> None:
    [response] = get_all(make(tmp_path), "/openapi.json")
    assert "/health" in response.json()["paths"]


def test_json_lines_logs_carry_the_request_id(tmp_path: Path) -> None:
    stream = io.StringIO()
    before_level = logging.getLogger().level
    configure_logging("cn-port-01", "INFO", stream=stream)
    try:
        get_all(make(tmp_path), "/v1/items/5", headers={"X-Request-ID": "req-42"})
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if handler.__class__.__name__ == "_PilotHandler":
                root.removeHandler(handler)
        root.setLevel(before_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    served = next(line for line in lines if line["msg"] == "item served")
    assert served["request_id"] == "req-42" and served["node"] == "cn-port-01" and served["item"] == 5
    assert {"ts", "level", "node", "request_id", "msg"} <= set(served)
    access = next(line for line in lines if line["logger"] == "pilot.access")
    assert access["request_id"] == "req-42"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/v1/items/5", 200)
    assert isinstance(access["duration_ms"], float)


@pytest.mark.parametrize("level", ["DEBUG", "warning"])
def test_configure_logging_twice_keeps_one_handler(level: str) -> None:
    root = logging.getLogger()
    before, before_level = list(root.handlers), root.level
    try:
        configure_logging("x", level, stream=io.StringIO())
        configure_logging("x", level, stream=io.StringIO())
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(before_level)
