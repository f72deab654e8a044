"""The port dashboard in headless Chromium: network counts, a consignment's timeline, the proof checked in the page.

A real network ships two consignments to cn-port-01; the dashboard must show them, open a timeline,
and say the inclusion proof was "verified in your browser"; with ``?tamper=1`` (one byte flipped in the
page) it must show the failure instead. A consignment sent to cn-port-03 with its lab-results certificate
sealed (issue 15) is shown sealed; "Open" shows the plaintext in place and the access log records it; once
the key is destroyed (its keyring file rewritten under the running port) the page shows the 410 message.
The chart of decisions over time counts the consignments and follows a new one without a reload.
Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.http_signatures import RequestSigner
from pilot.sandbox import build_sandbox
from pilot.synthetic import Signer
from schemas.canonical import canonicalize
from schemas.keyring import destroy_key
from tests.e2e.network.live_network import LiveNetwork, start_live_network
from tests.support.sealed import LAB_VALUE, agreement_kid, credential_index, lab_submission, sealed_at

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PORT = "cn-port-01"
SEALING_PORT = "cn-port-03"  # takes laboratory results only sealed


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
    assert "Belgorod Broiler Export LLC" in page.locator("#matrix").inner_text()  # names.js, browser in English
    assert page.locator("#port-name").inner_text() == "Manzhouli Rail Crossing Port Authority (fictional)"
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
    assert "Don Sunflower Oil JSC" in matrix and "Dalian Sea Port Authority (fictional)" in matrix  # names
    assert "2 ok" in matrix  # ru-exp-01's two consignments at cn-port-01
    assert "cosigned by cn-port-02, cn-port-03" in matrix
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)
    page.close()


def _send_sealed(live: LiveNetwork) -> str:
    """A consignment of ru-exp-01 with its certificate sealed to cn-port-03's key-4, sent to the live port."""
    clear = lab_submission("ru-exp-01", "browser-sealed", SEALING_PORT)
    document = sealed_at(clear, credential_index(clear, "DigitalConformityCredential"), SEALING_PORT)
    entry = Signer(build_sandbox().keyrings).key("ru-exp-01")
    auth = RequestSigner(entry.private_key, entry.verification_method)
    with httpx.Client(base_url=live.url(SEALING_PORT), auth=auth, trust_env=False, timeout=30) as client:
        answer = client.post(
            "/v1/submissions", content=canonicalize(document), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 201, answer.text
    return str(document["submissionId"])


def test_dashboard_opens_a_sealed_credential_in_place_and_shows_the_access_log(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    consignment = _send_sealed(live)
    kid = agreement_kid(SEALING_PORT)
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(f"{live.url(SEALING_PORT)}/?token={live.token(SEALING_PORT)}")
    page.locator(f'.open-consignment[data-id="{consignment}"]').click()
    page.wait_for_selector("#sealed:not([hidden]) .open-sealed")
    assert f"sealed to {kid}" in page.locator("#sealed-credentials").inner_text()
    assert LAB_VALUE not in page.content()  # nothing of the content before it is opened
    assert "no opening recorded" in page.locator("#access-log").inner_text()

    page.fill("#operator-name", "Li Wei")
    page.locator(".open-sealed").first.click()
    page.wait_for_selector(".plaintext")
    assert LAB_VALUE in page.locator(".plaintext").inner_text()
    page.wait_for_function("() => document.querySelector('#access-log').innerText.includes('opened')")
    log = page.locator("#access-log tbody").inner_text()
    assert "Li Wei" in log and kid in log
    page.screenshot(path=str(screenshots / "dashboard-sealed-opened.png"), full_page=True)

    key_file = live.data_dir / "keys" / f"{SEALING_PORT}.pem"
    key_file.write_bytes(destroy_key(key_file.read_bytes(), kid, datetime(2026, 7, 1, tzinfo=UTC)))
    page.locator(".open-sealed").first.click()
    page.wait_for_selector(".sealed-error")
    refusal = page.locator(".sealed-error").inner_text()
    assert refusal == (
        f"SEALED_KEY_DESTROYED: sealed to {kid}, destroyed at 2026-07-01T00:00:00Z: its content can no longer be read"
    )
    assert LAB_VALUE not in page.content()  # the plaintext shown before is gone from the page
    page.wait_for_function("() => document.querySelectorAll('#access-log tbody tr').length === 2")
    assert "SEALED_KEY_DESTROYED" in page.locator("#access-log tbody").inner_text()
    page.screenshot(path=str(screenshots / "dashboard-sealed-destroyed.png"), full_page=True)
    page.close()


def test_dashboard_charts_decisions_over_time_and_updates_it_live(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    """Issue 16 item 5: accepted, held and rejected per time bucket, drawn in the page, redrawn with the refresh."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{live.url(PORT)}/?token={live.token(PORT)}")
    page.wait_for_selector("#decision-chart svg.decision-chart")
    chart = page.locator("#decision-chart svg.decision-chart")
    assert chart.get_attribute("data-total") == "2"  # ru-exp-01's two consignments, both accepted
    buckets = page.locator("#decision-chart g.bucket")
    counts = [
        {
            d: int(buckets.nth(i).get_attribute(f"data-{d}") or 0)
            for d in ("accepted", "held-for-inspection", "rejected")
        }
        for i in range(buckets.count())
    ]
    assert sum(c["accepted"] for c in counts) == 2 and not any(
        c["held-for-inspection"] or c["rejected"] for c in counts
    )
    assert page.locator("#decision-chart g.bucket rect").count() >= 1
    assert "Decisions over time" in page.locator("#decisions").inner_text()

    live.ship(PORT)  # a third consignment: the chart follows without a reload
    page.wait_for_function(
        "() => document.querySelector('#decision-chart svg.decision-chart').getAttribute('data-total') === '3'",
        timeout=15_000,
    )
    page.locator("#decisions").screenshot(path=str(screenshots / "dashboard-decisions-chart.png"))
    page.close()


def test_dashboard_switches_to_chinese_without_a_reload_and_keeps_the_ids(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    """Issue 16 item 2: the header's switch renders the page again in Chinese (headings, states, the proof's
    result, the chart's legend); ids stay as they are; the choice outlives a reload."""
    from playwright.sync_api import expect

    page = _open_timeline(browser, f"{live.url(PORT)}/?token={live.token(PORT)}")
    consignment = page.locator("#timeline-id").inner_text()
    page.select_option("#language", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("#decisions h2")).to_have_text("随时间变化的决定")
    expect(page.locator("#proof-result")).to_contain_text("包含证明已在您的浏览器中核验")
    expect(page.locator("#submissions tbody span.accepted").first).to_have_text("接受")  # a state; its class stays
    expect(page.locator("#decision-chart svg")).to_contain_text("扣检")  # the legend
    assert page.locator("#port-id").inner_text() == PORT
    assert page.locator("#timeline-id").inner_text() == consignment
    page.screenshot(path=str(screenshots / "dashboard-zh.png"), full_page=True)
    page.reload()
    expect(page.locator("#decisions h2")).to_have_text("随时间变化的决定")  # remembered in localStorage
    page.close()
