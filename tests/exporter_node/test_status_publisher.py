"""The exporter publishes its status list versions to the real registry app, and loses none while it is down.

docs/design.md §12: the versions without ``published_at`` are an outbox; a refused version is marked and
never offered again, and after a 409 (the registry holds a higher sequence) a version above it is signed.
"""

from __future__ import annotations

import pytest

from schemas.codes import Code
from schemas.status_list import verify_status_list
from schemas.trust import TrustRegistry
from tests.exporter_node.status_support import StatusSetting
from tests.registry_node.registry_harness import signed_list

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PATH = "/v1/status/ru-exp-01/revocation-1"


async def test_at_start_the_first_version_is_signed_and_published(
    status_setting: StatusSetting, trust: TrustRegistry
) -> None:
    async with status_setting.exporter() as exporter:
        await exporter.published()
        latest = exporter.node.status_issuer.store.latest("revocation-1")
        assert latest is not None and latest.published_at is not None
        served = await status_setting.registry_list(PATH)
        assert served == latest.credential
        assert verify_status_list(served, trust, exporter.node.now()).sequence == 1


async def test_versions_signed_while_the_registry_is_down_are_published_when_it_is_back(
    status_setting: StatusSetting,
) -> None:
    status_setting.network.down = True
    async with status_setting.exporter() as exporter:
        issuer = exporter.node.status_issuer
        for n in range(2):
            issuer.entries(f"urn:uuid:{n}", "ConsignmentManifest", exporter.node.now())
            issuer.change(f"urn:uuid:{n}", "revoke", exporter.node.now())
        assert [v.sequence for v in issuer.store.pending()] == [1, 2, 3]
        assert await exporter.publisher.publish_pending() == 0
        assert exporter.publisher.last_problem is not None
        assert await status_setting.registry_sequences(PATH) == []
    # The node stopped with its outbox full; it starts again and the registry is back.
    status_setting.network.down = False
    async with status_setting.exporter() as exporter:
        await exporter.published()
    assert await status_setting.registry_sequences(PATH) == [1, 2, 3]  # every version, in order


async def test_a_409_marks_the_version_and_signs_one_above_the_registry(status_setting: StatusSetting) -> None:
    # The registry already holds version 5 of ru-exp-01's list (a data dir used before, say).
    answer = await status_setting.registry.post("ru-exp-01", signed_list("ru-exp-01", "revocation-1", 5))
    assert answer.status_code == 201, answer.text
    async with status_setting.exporter() as exporter:
        await exporter.published()
        store = exporter.node.status_issuer.store
        first = store.version("revocation-1", 1)
        assert first is not None and first.refused_code == Code.STATUS_LIST_OUT_OF_ORDER
        replacement = store.latest("revocation-1")
        assert replacement is not None and replacement.sequence == 6 and replacement.published_at is not None
        refused_posts = len(status_setting.network.posts())
        await exporter.publisher.publish_pending()
        assert len(status_setting.network.posts()) == refused_posts  # a refused version is not offered again
    assert await status_setting.registry_sequences(PATH) == [5, 6]


async def test_a_version_refused_for_good_is_logged_marked_and_not_retried(
    status_setting: StatusSetting, caplog: pytest.LogCaptureFixture
) -> None:
    status_setting.registry.node.auth.origins = ("http://elsewhere.test",)  # requests are signed for another origin
    async with status_setting.exporter() as exporter:
        await exporter.published()
        first = exporter.node.status_issuer.store.version("revocation-1", 1)
        assert first is not None and first.refused_code == Code.REQUEST_SIGNATURE_INVALID
        assert "STATUS LIST VERSION REFUSED" in caplog.text
        posts = len(status_setting.network.posts())
        await exporter.publisher.publish_pending()
        assert len(status_setting.network.posts()) == posts


async def test_after_a_refusal_a_restart_signs_the_list_again_once(status_setting: StatusSetting) -> None:
    status_setting.registry.node.auth.origins = ("http://elsewhere.test",)  # a misconfigured registry
    async with status_setting.exporter() as exporter:
        await exporter.published()
    status_setting.registry.node.auth.origins = (status_setting.network_origin,)  # fixed
    async with status_setting.exporter() as exporter:
        await exporter.published()
        versions = exporter.node.status_issuer.store.versions("revocation-1")
        assert [(v.sequence, v.refused_code is None, v.published_at is not None) for v in versions] == [
            (1, False, False),
            (2, True, True),
        ]
    assert await status_setting.registry_sequences(PATH) == [2]
