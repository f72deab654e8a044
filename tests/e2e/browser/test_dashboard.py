"""The port dashboard in headless Chromium: network counts, a consignment's timeline, the proof checked in the page.

A real network ships two consignments to cn-port-01; the dashboard must show them, open a timeline,
and say the inclusion proof was "verified in your browser"; with ``?tamper=1`` (one byte flipped in the
page) it must show the failure instead. Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.network.live_network import LiveNetwork, start_live_network

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PORT = "cn-port-01"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    network = start_live_network(tmp_path_factory.mktemp("browser-net"), (PORT, PORT), overview=True)
    yield network
    network.stop()


def _open_timeline(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(url)
    page.wait_for_selector(".open-consignment")
    page.locator(".open-consignment").first.click()  # the newest: a non-empty proof
    page.wait_for_selector("#proof-result.ok, #proof-result.bad")
    return page


def test_dashboard_verifies_the_inclusion_proof_in_the_browser(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    page = _open_timeline(browser, f"{live.url(PORT)}/?token={live.token(PORT)}")
    result = page.locator("#proof-result")
    assert "verified in your browser" in result.inner_text()
    assert "ok" in (result.get_attribute("class") or "")
    steps = page.locator("#timeline-steps").inner_text()
    assert "decision accepted" in steps and "cosigned by" in steps
    assert "ru-exp-01" in page.locator("#matrix").inner_text()
    assert page.locator("#entries tbody tr").count() == 2
    # The bundled SHA-256 (used where crypto.subtle is absent) agrees with WebCrypto.
    agree = page.evaluate(
        """async () => {
            for (const n of [0, 1, 55, 56, 63, 64, 65, 200]) {
                const data = Uint8Array.from({length: n}, (_, i) => (i * 7 + n) & 255);
                const a = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
                const b = window.pilotSha256(data);
                if (a.length !== b.length || a.some((x, i) => x !== b[i])) return n;
            }
            return -1;
        }"""
    )
    assert agree == -1, f"sha256.js differs from WebCrypto for length {agree}"
    page.screenshot(path=str(screenshots / "dashboard-verified.png"), full_page=True)
    page.close()


def test_tampered_proof_shows_the_failure(browser: Any, live: LiveNetwork, screenshots: Path) -> None:
    page = _open_timeline(browser, f"{live.url(PORT)}/?token={live.token(PORT)}&tamper=1")
    result = page.locator("#proof-result")
    assert "FAILED in your browser" in result.inner_text()
    assert "verified in your browser" not in result.inner_text()
    page.screenshot(path=str(screenshots / "dashboard-tampered.png"), full_page=True)
    page.close()


def test_dashboard_needs_the_operator_token(browser: Any, live: LiveNetwork) -> None:
    page = browser.new_page()
    response = page.goto(f"{live.url(PORT)}/")
    assert response is not None and response.status == 401
    assert "Operator token needed" in page.content()
    page.close()


def test_two_dashboards_in_one_browser_stay_logged_in_and_drop_the_token(browser: Any, live: LiveNetwork) -> None:
    """docs/reliability.md, attack 10: one cookie per node (cookies ignore ports), and no token left in the address."""
    context = browser.new_context()
    try:
        page = context.new_page()
        for port in (PORT, "cn-port-02"):
            page.goto(f"{live.url(port)}/?token={live.token(port)}")
            page.wait_for_function("id => document.getElementById('port-id').textContent === id", arg=port)
            assert page.url == f"{live.url(port)}/", page.url
        again = page.goto(f"{live.url(PORT)}/")  # cn-port-01 after cn-port-02: still logged in
        assert again is not None and again.status == 200
        page.wait_for_function("id => document.getElementById('port-id').textContent === id", arg=PORT)
        assert {cookie["name"] for cookie in context.cookies()} == {f"pilot_token_{PORT}", "pilot_token_cn-port-02"}
        assert all(cookie["httpOnly"] and cookie["path"] == "/" for cookie in context.cookies())
    finally:
        context.close()


def test_overview_shows_the_network_with_live_counts(browser: Any, live: LiveNetwork, screenshots: Path) -> None:
    overview = live.network.overview_url
    assert overview is not None
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(overview + "/")
    matrix = page.locator("#matrix").inner_text()
    assert "ru-exp-06" in matrix and "cn-port-03" in matrix
    assert "2 ok" in matrix  # ru-exp-01's two consignments at cn-port-01
    assert "cosigned by cn-port-02, cn-port-03" in matrix
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)
    page.close()
