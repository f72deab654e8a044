"""The exporter's own dashboard in headless Chromium, over a real network (issue 16 item 1).

ru-exp-01 is seeded and ships with the demo's scenario (``pilot.demo``): one normal consignment each to
cn-port-01 and cn-port-02, and the demo's "tampered" fault case (a record changed after signing, queued as-is,
rejected by cn-port-01 with PROOF_INVALID). Its dashboard must show them with their delivery state, the
port's decision and reasons, what to fix, each receipt's inclusion proof checked in the page (and failing
with ``?tamper=1``), the outbox, the farms and certificates with their validity and status; a consignment
shipped while the page is open must appear without a reload; a farm whose name is markup must show as text;
and the page must load nothing from elsewhere. Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.i18n import messages
from pilot.demo.faults import CASES
from pilot.synthetic import build_world
from schemas.codes import Code
from schemas.reason_hints import hint_for
from tests.e2e.network.live_network import EXPORTER, LiveNetwork, start_live_network

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOSTILE_NAME = '<img src=x onerror="window.__xss=1">Farm <b>bold</b> & "quoted"'
HOSTILE_FARM = f"urn:pilot:facility:{EXPORTER}:farm-markup"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    network = start_live_network(tmp_path_factory.mktemp("exporter-browser-net"), ("cn-port-01", "cn-port-02"))
    try:
        scenario = network.scenario
        tampered = next(case for case in CASES if case.key == "tampered")
        assert tampered.exporter == EXPORTER
        scenario.ship_fault(tampered)
        scenario.wait([s for s in scenario.shipments if s.kind == "tampered"], 60.0, "delivering")
        _register_hostile_farm(network)
        yield network
    finally:
        network.stop()


def _register_hostile_farm(live: LiveNetwork) -> None:
    """A farm whose name is markup: the page must show it as text."""
    farm = copy.deepcopy(build_world(live.scenario.seed, EXPORTER).farms[0])
    farm.update(
        id=HOSTILE_FARM,
        name=HOSTILE_NAME,
        names=[{"@value": HOSTILE_NAME, "@language": "en"}],
        establishmentNumber=farm["establishmentNumber"] + "9",
    )
    answer = httpx.post(
        f"{live.url(EXPORTER)}/v1/farms",
        json=farm,
        headers={"Authorization": f"Bearer {live.token(EXPORTER)}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text


def _rejected(live: LiveNetwork) -> Any:
    return next(s for s in live.scenario.shipments if s.kind == "tampered")


def _open(browser: Any, live: LiveNetwork, query: str = "", requests: list[str] | None = None) -> Any:
    """ru-exp-01's dashboard opened from its link, once its consignments are listed; ``requests`` collects every
    URL the page asks for."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live.url(EXPORTER)}/?token={live.token(EXPORTER)}{query}")
    page.wait_for_selector("#consignment-table .open-consignment")
    return page


def _open_consignment(page: Any, consignment_id: str) -> str:
    page.locator(f'#consignment-table a.open-consignment[data-id="{consignment_id}"]').click()
    page.wait_for_function("id => document.getElementById('detail-id').textContent === id", arg=consignment_id)
    page.wait_for_selector("#proof-result.ok, #proof-result.bad")
    return str(page.locator("#proof-result").inner_text())


def test_dashboard_shows_consignments_with_states_reasons_and_what_to_fix(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    requests: list[str] = []
    page = _open(browser, live, requests=requests)
    assert page.url == f"{live.url(EXPORTER)}/"  # the token left the address
    assert page.locator("#exporter-id").inner_text() == EXPORTER
    table = page.locator("#consignment-table")
    for port, consignment_id in live.shipped:
        row = table.locator(f'tr[data-id="{consignment_id}"]')
        assert port in row.inner_text() and "delivered" in row.inner_text() and "accepted" in row.inner_text()
    rejected = _rejected(live)
    row = table.locator(f'tr[data-id="{rejected.consignment_id}"]')
    assert "rejected" in row.inner_text() and "PROOF_INVALID" in row.inner_text()
    fix = str(row.locator("xpath=following-sibling::tr[1]").inner_text())
    assert "What to fix" in fix and str(hint_for(Code.PROOF_INVALID)) in fix
    assert "3 consignments" in page.locator("#counts").inner_text()
    assert "empty" in page.locator("#outbox").inner_text()
    farms = page.locator("#farms").inner_text()
    assert f"urn:pilot:facility:{EXPORTER}:plant-01" in farms and "valid" in farms
    certificates = page.locator("#certificates").inner_text()
    assert "DigitalConformityCredential" in certificates and "cert-01" in certificates
    assert "VeterinaryAttestation" in certificates and "→" in certificates
    # The registry runs: every status can be established, so every demo certificate is valid now.
    standings = page.locator("#certificates .badge").all_inner_texts()
    assert standings and set(standings) == {"valid"}, standings
    page.screenshot(path=str(screenshots / "exporter-dashboard.png"), full_page=True)
    assert requests and all(url.startswith(live.url(EXPORTER) + "/") for url in requests), requests  # no CDN
    page.close()


def test_each_receipt_is_verified_in_the_browser(browser: Any, live: LiveNetwork, screenshots: Path) -> None:
    page = _open(browser, live)
    port, accepted = live.shipped[0]
    result = _open_consignment(page, accepted)
    assert "verified in your browser" in result and f"{port}.pilot.example/log" in result
    steps = page.locator("#receipt-steps").inner_text()
    assert f"received by {port}; decision accepted" in steps and f"largest checkpoint verified from {port}" in steps
    assert page.locator("#attempts tbody tr").count() >= 1 and "delivered" in page.locator("#attempts").inner_text()
    assert "DigitalConformityCredential" in page.locator("#carried").inner_text()
    assert page.locator("#fix").is_hidden()
    page.screenshot(path=str(screenshots / "exporter-consignment-verified.png"), full_page=True)
    rejected = _rejected(live)
    result = _open_consignment(page, rejected.consignment_id)
    assert "verified in your browser" in result  # a rejection is logged and receipted too
    assert page.locator("#fix").is_visible()
    assert str(hint_for(Code.PROOF_INVALID)) in page.locator("#fix-list").inner_text()
    reasons = page.locator("#reasons").inner_text()
    assert "PROOF_INVALID" in reasons and "error" in reasons
    page.screenshot(path=str(screenshots / "exporter-consignment-rejected.png"), full_page=True)
    page.close()


def test_a_tampered_proof_shows_the_failure(browser: Any, live: LiveNetwork, screenshots: Path) -> None:
    consignment_id = live.shipped[0][1]
    page = _open(browser, live, f"&tamper=1&consignment={consignment_id}")  # a link to the consignment
    assert page.url == f"{live.url(EXPORTER)}/?tamper=1&consignment={consignment_id}"
    page.wait_for_function("id => document.getElementById('detail-id').textContent === id", arg=consignment_id)
    page.wait_for_selector("#proof-result.ok, #proof-result.bad")
    result = page.locator("#proof-result").inner_text()
    assert "FAILED in your browser" in result and "verified in your browser" not in result
    assert "bad" in (page.locator("#proof-result").get_attribute("class") or "")
    page.screenshot(path=str(screenshots / "exporter-consignment-tampered.png"), full_page=True)
    page.close()


def test_a_new_consignment_appears_without_a_reload(browser: Any, live: LiveNetwork) -> None:
    page = _open(browser, live)
    page.evaluate("window.__sameDocument = true")
    (consignment_id,) = live.ship("cn-port-01")
    row = f'#consignment-table tr[data-id="{consignment_id}"]'
    page.wait_for_selector(row, timeout=15_000)
    page.wait_for_function(
        "sel => (document.querySelector(sel) || {}).textContent.includes('accepted')", arg=row, timeout=15_000
    )
    assert page.evaluate("window.__sameDocument") is True  # updated in place: the page never reloaded
    page.close()


def test_data_is_shown_as_text_never_run_as_markup(browser: Any, live: LiveNetwork) -> None:
    page = _open(browser, live)
    page.wait_for_selector(f'#farms td:text-is("{HOSTILE_FARM}")')
    assert HOSTILE_NAME in page.locator("#farms").inner_text()
    assert page.locator("#farms img, #farms b").count() == 0
    assert page.evaluate("window.__xss") is None
    page.close()


def test_the_dashboard_needs_the_operator_token_and_keeps_its_own_cookie(browser: Any, live: LiveNetwork) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        refused = page.goto(f"{live.url(EXPORTER)}/")
        assert refused is not None and refused.status == 401 and "Operator token needed" in page.content()
        port = "cn-port-01"
        for node, ready in ((EXPORTER, "#exporter-id"), (port, "#port-id")):
            page.goto(f"{live.url(node)}/?token={live.token(node)}")
            page.wait_for_function("([sel, id]) => document.querySelector(sel).textContent === id", arg=[ready, node])
        again = page.goto(f"{live.url(EXPORTER)}/")  # the exporter after the port: still logged in
        assert again is not None and again.status == 200
        page.wait_for_function("id => document.getElementById('exporter-id').textContent === id", arg=EXPORTER)
        assert {cookie["name"] for cookie in context.cookies()} == {f"pilot_token_{EXPORTER}", f"pilot_token_{port}"}
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "farm", "port"),
    [
        ("ru-RU", "Птицефабрика «Бере\u0308зка»", "Manzhouli Rail Crossing Port Authority (fictional)"),
        ("zh-CN", "Ptitsefabrika Bere\u0308zka", "满洲里铁路口岸管理局（虚构）"),
    ],
)
def test_names_show_in_the_viewers_language_with_the_others_in_the_tooltip(
    browser: Any, live: LiveNetwork, screenshots: Path, locale: str, farm: str, port: str
) -> None:
    """docs/records.md "Names in several languages": the form for the browser's language, code point for code
    point (the farm's decomposed ё stays decomposed in the page), every other form in the title."""
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1600})
    try:
        page = context.new_page()
        page.goto(f"{live.url(EXPORTER)}/?token={live.token(EXPORTER)}")
        farm_id = build_world(live.scenario.seed, EXPORTER).farms[0]["id"]
        cell = f'#farms tr:has(td:text-is("{farm_id}")) .name'
        page.wait_for_selector(cell)
        assert page.locator(cell).evaluate("e => e.textContent") == farm
        title = page.locator(cell).get_attribute("title") or ""
        assert ("Птицефабрика «Бере\u0308зка» [ru]" in title) != (farm.startswith("Птицефабрика"))
        page.wait_for_selector(f'#consignment-table .name:text-is("{port}")')
        assert page.locator("#exporter-id").inner_text() == EXPORTER
        assert page.locator("#exporter-name .name").get_attribute("lang") == ("ru" if locale == "ru-RU" else "en")
        assert "[object Object]" not in page.content()
        page.screenshot(path=str(screenshots / f"exporter-dashboard-names-{locale}.png"), full_page=True)
    finally:
        context.close()


def test_the_page_switches_to_chinese_without_a_reload_and_keeps_the_codes(
    browser: Any, live: LiveNetwork, screenshots: Path
) -> None:
    """Issue 16 item 2: the header's switch renders the page again in Chinese (headings, states, what to fix,
    the proof's result); reason codes stay as they are; the choice outlives a reload."""
    from playwright.sync_api import expect

    zh = messages("pilot", "zh")
    page = _open(browser, live)
    rejected = _rejected(live)
    page.select_option("#language", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("#outbox-section h2")).to_have_text("发件队列")
    row = page.locator(f'#consignment-table tr[data-id="{rejected.consignment_id}"]')
    expect(row.locator(".decision-rejected")).to_have_text("拒绝")  # a state in Chinese
    expect(row).to_contain_text("PROOF_INVALID")  # the code unchanged
    result = _open_consignment(page, rejected.consignment_id)
    assert "包含证明已在您的浏览器中核验" in result
    expect(page.locator("#fix-list")).to_contain_text(zh[str(hint_for(Code.PROOF_INVALID))])
    expect(page.locator("#reasons")).to_contain_text("PROOF_INVALID")
    page.screenshot(path=str(screenshots / "exporter-dashboard-zh.png"), full_page=True)
    page.reload()
    expect(page.locator("#outbox-section h2")).to_have_text("发件队列")  # remembered in localStorage
    page.close()
