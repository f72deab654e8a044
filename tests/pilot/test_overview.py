"""The overview page lists every node ``network.json`` records, the registry with its own links.

No node needs to run: a port that does not answer is shown as not answering.
"""

from __future__ import annotations

from pathlib import Path

from pilot.network_file import NetworkRecord, ProcessEntry, write_record
from pilot.overview import render_page

CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1: a refused connection, at once


def test_the_registry_is_listed_with_its_api_docs_and_trust_list(tmp_path: Path) -> None:
    nodes = {
        "cn-port-01": ProcessEntry(CLOSED, 1, "port"),
        "ru-exp-01": ProcessEntry(CLOSED, 2, "exporter"),
        "registry": ProcessEntry("http://127.0.0.1:8120", 3, "registry"),
    }
    write_record(tmp_path, NetworkRecord(nodes=nodes, base_port=8100))
    page = render_page(tmp_path)
    registry_row = next(row for row in page.split("<tr>") if "<td>registry</td>" in row)
    assert '<a href="http://127.0.0.1:8120/docs">http://127.0.0.1:8120</a>' in registry_row
    assert 'href="http://127.0.0.1:8120/v1/trust-list"' in registry_row
    assert 'href="http://127.0.0.1:8120/health"' in registry_row
    exporter_row = next(row for row in page.split("<tr>") if "<td>ru-exp-01</td>" in row)
    assert f'<a href="{CLOSED}/">' in exporter_row  # the exporter's dashboard
    port_row = next(row for row in page.split("<tr>") if "<td>cn-port-01</td>" in row)
    assert f'<a href="{CLOSED}/">' in port_row  # the port's dashboard
    assert "not answering" in page
