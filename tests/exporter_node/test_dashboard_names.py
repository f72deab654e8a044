"""The exporter's dashboard API gives each farm's names as its signed record holds them (no normalisation)."""

from __future__ import annotations

import unicodedata

import pytest

from tests.exporter_node.conftest import Scenario
from tests.exporter_node.exporter_harness import ExporterHarness

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_farms_come_with_their_names_in_every_language(exporter: ExporterHarness, scenario: Scenario) -> None:
    await scenario.prepare()
    overview = (await exporter.client.get("/v1/dashboard/overview")).json()
    shown = {f["id"]: f for f in overview["farms"]}
    for farm in (*scenario.world.farms[:2], scenario.world.plant):
        assert shown[farm["id"]]["name"] == farm["name"]
        assert shown[farm["id"]]["names"] == farm["names"]
    first = shown[scenario.world.farms[0]["id"]]
    assert [n["@language"] for n in first["names"]] == ["ru", "ru-Latn"]
    assert unicodedata.is_normalized("NFD", first["name"]) and not unicodedata.is_normalized("NFC", first["name"])
