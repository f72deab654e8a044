"""``POST /v1/status`` and ``GET /v1/status``: the operator revokes one of the exporter's records (docs/design.md §12).

Against the real registry app: a revocation is signed and published at once, and the registry then
serves a list with the record's bit set; with the registry down the answer says ``published: false`` and
the version goes out when it is back.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schemas.status_list import verify_status_list
from schemas.trust import TrustRegistry
from tests.exporter_node.status_support import RunningExporter, StatusSetting

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PATH = "/v1/status/ru-exp-01/revocation-1"


async def _register_farm(exporter: RunningExporter, world: Any) -> str:
    """POST the first farm; the id of its signed facility record."""
    response = await exporter.client.post("/v1/farms", json=world.farms[0])
    assert response.status_code == 201, response.text
    return str(response.json()["credentialId"])


async def _change(exporter: RunningExporter, credential: str, action: str) -> httpx.Response:
    return await exporter.client.post("/v1/status", json={"credential": credential, "action": action})


async def test_revoking_a_facility_record_publishes_a_list_with_its_bit_set(
    status_setting: StatusSetting, world: Any, trust: TrustRegistry
) -> None:
    async with status_setting.exporter() as exporter:
        await exporter.published()
        record_id = await _register_farm(exporter, world)
        response = await _change(exporter, record_id, "revoke")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body == {
            "credential": record_id,
            "changed": True,
            "status": {"revocation": True},
            "list": {"id": "https://registry.pilot.example" + PATH, "sequence": 2, "published": True},
        }
        served = verify_status_list(await status_setting.registry_list(PATH), trust, exporter.node.now())
        assert served.sequence == 2 and served.is_set(0)

        again = await _change(exporter, record_id, "revoke")
        assert again.json()["changed"] is False and again.json()["list"]["sequence"] == 2

        shown = await exporter.client.get("/v1/status", params={"credential": record_id})
        assert shown.status_code == 200
        view = shown.json()
        assert view["recordType"] == "DigitalFacilityRecord" and view["index"] == 0
        assert view["status"] == {"revocation": True}
        assert [e["statusListCredential"] for e in view["entries"]] == ["https://registry.pilot.example" + PATH]
        assert [(h["sequence"], h["set"], h["publishedAt"] is not None) for h in view["history"]] == [
            (1, False, True),
            (2, True, True),
        ]


async def test_with_the_registry_down_the_change_is_kept_and_published_later(
    status_setting: StatusSetting, world: Any
) -> None:
    async with status_setting.exporter() as exporter:
        await exporter.published()
        record_id = await _register_farm(exporter, world)
        status_setting.network.down = True
        response = await _change(exporter, record_id, "revoke")
        assert response.status_code == 200, response.text
        assert response.json()["list"] == {
            "id": "https://registry.pilot.example" + PATH,
            "sequence": 2,
            "published": False,
        }
        assert await status_setting.registry_sequences(PATH) == [1]
        status_setting.network.down = False
        exporter.publisher.wake()
        await exporter.published()
    assert await status_setting.registry_sequences(PATH) == [1, 2]


@pytest.mark.parametrize("action", ["suspend", "reinstate"])
async def test_suspending_or_reinstating_an_exporter_record_is_a_clear_422(
    status_setting: StatusSetting, world: Any, action: str
) -> None:
    async with status_setting.exporter() as exporter:
        record_id = await _register_farm(exporter, world)
        response = await _change(exporter, record_id, action)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "REQUEST_INVALID" and "revoke it instead" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"credential": "urn:uuid:not-ours", "action": "revoke"}, 404, "NOT_FOUND"),
        ({"credential": "urn:uuid:x", "action": "delete"}, 400, "SCHEMA_INVALID"),
        ({"credential": "urn:uuid:x"}, 400, "SCHEMA_INVALID"),
        ({"credential": "urn:uuid:x", "action": "revoke", "why": "no"}, 400, "SCHEMA_INVALID"),
    ],
)
async def test_bad_changes_are_problems(
    status_setting: StatusSetting, body: dict[str, Any], status: int, code: str
) -> None:
    async with status_setting.exporter() as exporter:
        response = await exporter.client.post("/v1/status", json=body)
        assert (response.status_code, response.json()["code"]) == (status, code)
        unknown = await exporter.client.get("/v1/status", params={"credential": "urn:uuid:not-ours"})
        assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")


async def test_the_status_routes_need_the_operator_token(status_setting: StatusSetting) -> None:
    async with status_setting.exporter() as exporter:
        anonymous = {"authorization": ""}
        posted = await exporter.client.post(
            "/v1/status", json={"credential": "urn:uuid:x", "action": "revoke"}, headers=anonymous
        )
        shown = await exporter.client.get("/v1/status", params={"credential": "urn:uuid:x"}, headers=anonymous)
        assert posted.status_code == shown.status_code == 401
