"""Generate the JSON Schemas (draft 2020-12) of the wire contract from its pydantic models.

``python -m schemas.jsonschema --write`` writes them into ``schemas/json/``; a test checks that the
committed files equal what the models generate, so the files and the models never drift apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from schemas.models.log import LogEntry
from schemas.models.registry import CREDENTIAL_TYPES
from schemas.models.submission import Submission
from schemas.models.trust_list import TrustAnchor, TrustList

__all__ = ["JSON_DIR", "SCHEMA_BASE_URL", "SCHEMA_MODELS", "generate_json_schemas", "main"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URL = "https://pilot.example/schemas/"
JSON_DIR = Path(__file__).parent / "json"

#: Schema name -> the model it is generated from.
SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    **CREDENTIAL_TYPES,
    "Submission": Submission,
    "LogEntry": LogEntry,
    "TrustList": TrustList,
    "TrustAnchor": TrustAnchor,
}


class _PilotSchemaGenerator(GenerateJsonSchema):
    """Pydantic's generator without generated property titles, ``null`` alternatives or ``"default": null``.

    Optional members of the wire models may be absent but never null, so null is left out of the schemas.
    """

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        if "default" in schema and schema["default"] is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def _schema_text(name: str, model: type[BaseModel]) -> str:
    schema = model.model_json_schema(by_alias=True, mode="validation", schema_generator=_PilotSchemaGenerator)
    schema = {"$schema": DIALECT, "$id": f"{SCHEMA_BASE_URL}{name}.schema.json", **schema, "title": name}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_json_schemas() -> dict[str, str]:
    """``"<Name>.schema.json"`` -> its exact file text, for every published schema."""
    return {f"{name}.schema.json": _schema_text(name, model) for name, model in SCHEMA_MODELS.items()}


def main(argv: list[str] | None = None) -> int:
    """Write the schemas into ``schemas/json/`` (``--write``) or check that the files are current."""
    parser = argparse.ArgumentParser(prog="python -m schemas.jsonschema", description=main.__doc__)
    parser.add_argument("--write", action="store_true", help="write the files instead of checking them")
    parser.add_argument("--dir", type=Path, default=JSON_DIR, help="target directory (default: schemas/json)")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for file_name, text in generate_json_schemas().items():
        path = args.dir / file_name
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(file_name)
    if stale:
        names = ", ".join(stale)
        print(f"stale JSON Schemas: {names}; run: python -m schemas.jsonschema --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
