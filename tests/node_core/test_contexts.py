"""Every node serves the pilot's JSON-LD contexts under ``/contexts/`` (docs/design.md §4)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from schemas.jsonld import CONTEXTS_DIR, context_index
from tests.support.nodes import base_app

pytestmark = pytest.mark.anyio


def _app(tmp_path: Path) -> FastAPI:
    return base_app(tmp_path, role="port_authority")


async def test_index_and_every_listed_context_are_served_byte_for_byte(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        index = await client.get("/contexts/index.json")
        assert index.status_code == 200
        assert index.json() == context_index()
        assert context_index(), "the index lists at least the pilot context"
        for url, name in context_index().items():
            answer = await client.get(f"/contexts/{name}")
            assert answer.status_code == 200, url
            assert answer.headers["content-type"] == "application/ld+json"
            assert answer.content == (CONTEXTS_DIR / name).read_bytes()
            assert "@context" in json.loads(answer.content)
            again = await client.get(f"/contexts/{name}", headers={"If-None-Match": answer.headers["etag"]})
            assert again.status_code == 304


async def test_unknown_or_traversing_names_are_404_problems(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        for name in ("nope.jsonld", "..%2Fpyproject.toml", "..%2F_jsonld.py"):
            answer = await client.get(f"/contexts/{name}")
            assert answer.status_code == 404
            assert answer.json()["code"] == "NOT_FOUND"
