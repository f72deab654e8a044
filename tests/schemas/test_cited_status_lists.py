"""``cited_status_lists``: the status lists a submission's credentials cite, in either securing form."""

from __future__ import annotations

import copy
import json

from schemas.status_list import cited_status_lists
from tests.support.files import VECTORS


def _submission(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((VECTORS / "valid" / name).read_text())
    return loaded


def test_an_embedded_proof_submission_cites_its_issuers_lists() -> None:
    urls = cited_status_lists(_submission("submission-ru-exp-01.json"))
    assert {u.rsplit("/", 2)[1] for u in urls} >= {"ru-exp-01", "cert-01"}
    assert all(u.startswith("https://registry.pilot.example/v1/status/") for u in urls)


def test_enveloped_credentials_are_read_through_their_jws() -> None:
    urls = cited_status_lists(_submission("submission-ru-exp-01-jose.json"))
    assert "https://registry.pilot.example/v1/status/ru-exp-01/revocation-0" in urls


def test_what_cannot_be_read_cites_nothing() -> None:
    broken = copy.deepcopy(_submission("submission-ru-exp-01-jose.json"))
    assert isinstance(broken["credentials"], list)
    for credential in broken["credentials"]:
        credential["id"] = "data:application/vc+jwt,not-a-jws"
    broken["manifest"] = "not an object"
    assert cited_status_lists(broken) == set()
    assert cited_status_lists(["not", "a", "submission"]) == set()
