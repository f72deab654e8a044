"""JSON-LD expansion offline (schemas.jsonld): the UNTP 0.6.1 instances, undefined terms, unknown contexts.

The W3C and UNTP contexts and instances are read from the reference directory, never copied.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

import schemas
from schemas.codes import Code
from schemas.jsonld import (
    CONTEXTS_DIR,
    VC_V2_CONTEXT,
    ContextUnavailableError,
    context_index,
    document_loader,
    expansion_problems,
    untp_context_url,
)
from schemas.jsonld import reference_dir as resolve_reference_dir

UNTP_PARTS = ["dfr", "dte", "dcc"]
PILOT_CONTEXT = "https://pilot.example/ns/agri-export/v1"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every attempt to open a socket or resolve a name is recorded and refused."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def _instance(reference_dir: Path, part: str) -> Any:
    return json.loads((reference_dir / "untp-0.6.1" / f"untp-{part}-instance.json").read_bytes())


def _codes(problems: list[schemas.Reason]) -> list[tuple[str, str]]:
    return [(str(p.code), p.path) for p in problems]


@pytest.mark.reference
@pytest.mark.parametrize("part", UNTP_PARTS)
def test_upstream_untp_instances_expand_with_nothing_dropped(
    reference_dir: Path, part: str, no_network: list[Any]
) -> None:
    # Measured on UNTP 0.6.1: none of the three instances drops a member or leaves a type undefined.
    assert expansion_problems(_instance(reference_dir, part), reference_dir) == []
    assert no_network == []


@pytest.mark.reference
def test_upstream_instance_fully_expands(reference_dir: Path) -> None:
    from pyld import jsonld

    loader = document_loader(reference_dir)
    expanded = jsonld.expand(_instance(reference_dir, "dfr"), {"documentLoader": loader})
    assert expanded[0]["@type"] == [
        "https://test.uncefact.org/vocabulary/untp/dfr/0/DigitalFacilityRecord",
        "https://www.w3.org/2018/credentials#VerifiableCredential",
    ]


@pytest.mark.reference
def test_invented_member_is_term_undefined_at_its_pointer(reference_dir: Path) -> None:
    document = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:x",
        "credentialSubject": {"foo": 1},
    }
    problems = expansion_problems(document, reference_dir)
    assert _codes(problems) == [("JSONLD_TERM_UNDEFINED", "/credentialSubject/foo")]
    assert "'foo'" in problems[0].message and "pilot context" in problems[0].message
    # base_path places the pointer inside a file.
    assert expansion_problems(document, reference_dir, "/credentials/2")[0].path == (
        "/credentials/2/credentialSubject/foo"
    )


@pytest.mark.reference
def test_each_occurrence_is_reported_where_it_is_undefined(reference_dir: Path) -> None:
    document = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiableCredential", "InventedType"],
        "issuer": "did:web:x",
        "credentialSubject": [{"name": "defined here", "a/b~": 1}, {"extra": {"extra": 2}}],
    }
    assert sorted(_codes(expansion_problems(document, reference_dir))) == [
        ("JSONLD_TERM_UNDEFINED", "/credentialSubject/0/a~1b~0"),
        ("JSONLD_TERM_UNDEFINED", "/credentialSubject/1/extra"),
        ("JSONLD_TERM_UNDEFINED", "/type/1"),
    ]


@pytest.mark.reference
def test_untp_member_outside_its_scope_is_undefined(reference_dir: Path) -> None:
    # UNTP terms are scoped to their types: a DFR member under the VC's top level is not defined there.
    document = _instance(reference_dir, "dfr")
    document["facility"] = document["credentialSubject"]["facility"]
    problems = expansion_problems(document, reference_dir)
    assert ("JSONLD_TERM_UNDEFINED", "/facility") in _codes(problems)


@pytest.mark.reference
def test_keyword_like_and_null_mapped_members_are_dropped_and_reported(reference_dir: Path) -> None:
    document = {
        "@context": [VC_V2_CONTEXT, {"hidden": None}],
        "type": ["VerifiableCredential"],
        "@comment": "x",
        "credentialSubject": {"hidden": 1},
    }
    assert sorted(_codes(expansion_problems(document, reference_dir))) == [
        ("JSONLD_TERM_UNDEFINED", "/@comment"),
        ("JSONLD_TERM_UNDEFINED", "/credentialSubject/hidden"),
    ]


@pytest.mark.reference
def test_protected_term_redefinition_is_reported(reference_dir: Path) -> None:
    document = {"@context": [VC_V2_CONTEXT, {"name": "https://example.org/name"}], "type": ["VerifiableCredential"]}
    problems = expansion_problems(document, reference_dir)
    assert _codes(problems) == [("JSONLD_TERM_UNDEFINED", "/@context")]
    assert "protected term redefinition" in problems[0].message


@pytest.mark.reference
def test_malformed_context_is_context_unavailable(reference_dir: Path) -> None:
    problems = expansion_problems({"@context": 5, "type": "VerifiableCredential"}, reference_dir)
    assert _codes(problems) == [("JSONLD_CONTEXT_UNAVAILABLE", "/@context")]


@pytest.mark.reference
def test_unknown_context_is_unavailable_without_network(reference_dir: Path, no_network: list[Any]) -> None:
    document = {"@context": [VC_V2_CONTEXT, "https://example.org/contexts/other/v1"], "type": ["VerifiableCredential"]}
    problems = expansion_problems(document, reference_dir, "/credentials/0")
    assert _codes(problems) == [("JSONLD_CONTEXT_UNAVAILABLE", "/credentials/0/@context")]
    assert "https://example.org/contexts/other/v1" in problems[0].message
    assert no_network == []


@pytest.mark.reference
def test_other_untp_version_is_unavailable(reference_dir: Path, no_network: list[Any]) -> None:
    document = _instance(reference_dir, "dfr")
    document["@context"] = [VC_V2_CONTEXT, untp_context_url("dfr", "0.5.0")]
    problems = expansion_problems(document, reference_dir)
    assert _codes(problems) == [("JSONLD_CONTEXT_UNAVAILABLE", "/@context")]
    assert "0.5.0" in problems[0].message and untp_context_url("dfr") in problems[0].message
    assert no_network == []


def test_without_reference_directory_w3c_context_is_unavailable(no_network: list[Any]) -> None:
    problems = expansion_problems({"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"]}, None)
    assert _codes(problems) == [("JSONLD_CONTEXT_UNAVAILABLE", "/@context")]
    assert "PILOT_REFERENCE_DIR" in problems[0].message


def test_reference_directory_missing_a_file(tmp_path: Path) -> None:
    (tmp_path / "w3c").mkdir()
    problems = expansion_problems({"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"]}, tmp_path)
    assert _codes(problems) == [("JSONLD_CONTEXT_UNAVAILABLE", "/@context")]
    assert "credentials-v2.jsonld" in problems[0].message


@pytest.mark.reference
def test_loader_resolves_every_known_context(reference_dir: Path, no_network: list[Any]) -> None:
    loader = document_loader(reference_dir)
    urls = [VC_V2_CONTEXT, *(untp_context_url(part) for part in [*UNTP_PARTS, "core"]), *context_index()]
    for url in urls:
        remote = loader(url, {})
        assert remote["documentUrl"] == url and "@context" in remote["document"]
    with pytest.raises(ContextUnavailableError) as info:
        loader("https://www.w3.org/ns/credentials/examples/v2", {})
    assert info.value.code is Code.JSONLD_CONTEXT_UNAVAILABLE
    assert no_network == []


def test_pilot_context_index_and_files() -> None:
    index = context_index()
    assert index[PILOT_CONTEXT] == "agri-export-v1.jsonld"
    for name in index.values():
        assert "@context" in json.loads((CONTEXTS_DIR / name).read_bytes())
    # The pilot's own contexts load without a reference directory.
    assert "@context" in document_loader(None)(PILOT_CONTEXT, {})["document"]


def test_reference_dir_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PILOT_REFERENCE_DIR", raising=False)
    assert resolve_reference_dir() is None
    assert resolve_reference_dir(tmp_path) == tmp_path
    monkeypatch.setenv("PILOT_REFERENCE_DIR", str(tmp_path / "env"))
    assert resolve_reference_dir() == tmp_path / "env"
    assert resolve_reference_dir(tmp_path) == tmp_path


def test_non_object_document() -> None:
    assert _codes(expansion_problems("https://example.org/doc", None, "/credentials/1")) == [
        ("JSONLD_TERM_UNDEFINED", "/credentials/1")
    ]


def test_exported_from_schemas() -> None:
    assert schemas.expansion_problems is expansion_problems
    assert {"CONTEXTS_DIR", "expansion_problems", "document_loader", "reference_dir"} <= set(schemas.__all__)
