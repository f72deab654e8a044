"""The in-flight cap (429 at once, health exempt) and operator bearer tokens."""

from __future__ import annotations

import asyncio
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from node_core.auth import ensure_token, operator_auth, read_token
from node_core.inflight import InflightLimitMiddleware
from node_core.problems import install_problem_handlers


def make_app(cap: int, token: str = "t0k3n") -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(InflightLimitMiddleware, max_inflight=cap)

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.2)
        return {"ok": True}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/operator", dependencies=[Depends(operator_auth(token))])
    async def operator() -> dict[str, str]:
        return {"hello": "operator"}

    return app


def test_cap_two_with_six_concurrent_requests() -> None:
    app = make_app(2)

    async def run() -> tuple[list[httpx.Response], httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client:
            slow = [asyncio.create_task(client.get("/slow")) for _ in range(6)]
            await asyncio.sleep(0.05)
            health = await client.get("/health")  # exempt even while the cap is reached
            return list(await asyncio.gather(*slow)), health

    responses, health = asyncio.run(run())
    counts = Counter(r.status_code for r in responses)
    assert set(counts) <= {200, 429}
    assert counts == {200: 2, 429: 4}
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "RATE_LIMITED"
    assert health.status_code == 200


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError):
        InflightLimitMiddleware(make_app(1), max_inflight=0)


def get(app: FastAPI, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client:
            return await client.get(path, **kwargs)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({"Authorization": "Bearer t0k3n"}, "", 200),
        ({"Authorization": "bearer t0k3n"}, "", 200),
        ({}, "?token=t0k3n", 200),
        ({}, "", 401),
        ({"Authorization": "Bearer wrong"}, "", 401),
        ({"Authorization": "Basic dDBrM246"}, "", 401),
        ({"Authorization": "Bearer wrong"}, "?token=t0k3n", 401),
        ({}, "?token=", 401),
    ],
    ids=["bearer", "bearer-lowercase", "query", "missing", "wrong", "basic", "header-wins", "empty-query"],
)
def test_operator_auth(headers: dict[str, str], query: str, status: int) -> None:
    response = get(make_app(8), "/operator" + query, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["code"] == "UNAUTHORIZED"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_ensure_token_creates_once_with_mode_0600(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    first = ensure_token(tokens, "cn-port-01")
    assert len(first) >= 43  # 32 bytes, base64url
    assert ensure_token(tokens, "cn-port-01") == first == read_token(tokens, "cn-port-01")
    assert stat.S_IMODE((tokens / "cn-port-01").stat().st_mode) == 0o600
    assert ensure_token(tokens, "cn-port-02") != first


def test_read_token_of_a_missing_node(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_token(tmp_path, "ru-exp-09")
