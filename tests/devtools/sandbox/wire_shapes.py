"""Check sandbox bodies against the provider's own response schemas (massive_schemas.json).

The schemas are the 200 responses of the provider's OpenAPI excerpt, copied unchanged. They
allow any extra key, so `assert_wire_shape` also refuses keys the schema does not define
(the only tolerated extra is the top-level `request_id` every Massive body carries).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).with_name("massive_schemas.json")


@functools.cache
def _schema(endpoint: str) -> dict[str, Any]:
    return json.loads(SCHEMAS.read_text())[endpoint]["schema"]


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        merged.update(_properties(part))
    return merged


def _undeclared(instance: Any, schema: dict[str, Any], where: str) -> list[str]:
    if isinstance(instance, list):
        items = schema.get("items", {})
        return [
            extra for i, item in enumerate(instance) for extra in _undeclared(item, items, f"{where}[{i}]")
        ]
    if not isinstance(instance, dict):
        return []
    declared = _properties(schema)
    extras = [f"{where}.{key}" for key in instance if key not in declared]
    for key, value in instance.items():
        if key in declared:
            extras += _undeclared(value, declared[key], f"{where}.{key}")
    return extras


def assert_wire_shape(body: dict[str, Any], endpoint: str) -> None:
    """Validate `body` against the endpoint's schema; fail on keys the schema does not define."""
    schema = _schema(endpoint)
    jsonschema.validate(body, schema)
    extras = [extra for extra in _undeclared(body, schema, "$") if extra != "$.request_id"]
    assert extras == [], f"keys the provider's schema does not define: {extras}"
