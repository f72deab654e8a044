"""The published JSON Schemas: committed files equal the models' output, and every property has a category."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from schemas.jsonschema import JSON_DIR, generate_json_schemas, main
from schemas.models import DataCategory
from tests.support import examples as ex

GENERATED = generate_json_schemas()
REGENERATE = "run: .venv/bin/python -m schemas.jsonschema --write"


def test_every_published_schema_is_generated() -> None:
    # One schema for each wire type: the seven credential types (the status list among them), the submission,
    # the log entry, the trust list and the anchor.
    assert sorted(GENERATED) == sorted(f"{name}.schema.json" for name in ex.EXAMPLES)
    assert len(ex.EXAMPLES) == 11


@pytest.mark.parametrize("file_name", sorted(GENERATED))
def test_committed_schema_equals_generated(file_name: str) -> None:
    path = JSON_DIR / file_name
    assert path.is_file(), f"{path} is missing; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == GENERATED[file_name], f"{path} is stale; {REGENERATE}"


def test_check_mode_reports_current_files() -> None:
    assert main([]) == 0


def test_check_mode_reports_stale_files(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(tmp_path)]) == 1
    assert "--write" in capsys.readouterr().err
    assert main(["--dir", str(tmp_path), "--write"]) == 0
    assert main(["--dir", str(tmp_path)]) == 0


@pytest.mark.parametrize("file_name", sorted(GENERATED))
def test_schema_header(file_name: str) -> None:
    schema = json.loads(GENERATED[file_name])
    name = file_name.removesuffix(".schema.json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://pilot.example/schemas/{file_name}"
    assert schema["title"] == name
    assert GENERATED[file_name].endswith("}\n")


def _properties(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every (location, property schema) under any ``properties`` keyword, $defs included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    yield f"{where}/properties/{name}", prop
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _properties(item, f"{where}/{index}")


@pytest.mark.parametrize("file_name", sorted(GENERATED))
def test_every_property_has_a_data_category(file_name: str) -> None:
    properties = list(_properties(json.loads(GENERATED[file_name]), ""))
    assert properties
    valid = {category.value for category in DataCategory}
    missing = [where for where, prop in properties if prop.get("x-data-category") not in valid]
    assert missing == []


def test_sensitive_categories_are_visible_in_the_schemas() -> None:
    facility = json.loads(GENERATED["DigitalFacilityRecord.schema.json"])
    subject = facility["$defs"]["Facility"]["properties"]
    assert subject["locationInformation"]["x-data-category"] == "precise_location"
    assert facility["$defs"]["Location"]["properties"]["geoBoundary"]["x-data-category"] == "precise_location"
    assert subject["operatorContact"]["x-data-category"] == "personal"
    dcc = json.loads(GENERATED["DigitalConformityCredential.schema.json"])["$defs"]
    assert dcc["ConformityAssessment"]["properties"]["laboratoryResults"]["x-data-category"] == "laboratory"
    vet = json.loads(GENERATED["VeterinaryAttestation.schema.json"])["$defs"]["VeterinarySubject"]["properties"]
    assert vet["healthStatus"]["x-data-category"] == "animal_health"
    assert vet["laboratoryResults"]["x-data-category"] == "laboratory"


def test_optional_members_do_not_allow_null() -> None:
    assert '"null"' not in "".join(GENERATED.values())


@pytest.mark.parametrize("name", sorted(ex.EXAMPLES))
def test_examples_validate_against_their_schema(name: str) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(json.loads(GENERATED[f"{name}.schema.json"]))
    doc = ex.EXAMPLES[name]()
    assert [error.message for error in validator.iter_errors(doc)] == []
    doc["unexpected"] = True
    assert not validator.is_valid(doc)
