"""docs/spec-reference.md documents every key of every spec's JSON Schema."""

from pathlib import Path

import pytest

from cdisc_map.spec.schemas import schema

ROOT = Path(__file__).resolve().parent.parent


def keys_of(node: object, found: set[str]) -> set[str]:
    """Every property name a schema (and its definitions) allows."""
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            keys_of(value, found)
    elif isinstance(node, list):
        for value in node:
            keys_of(value, found)
    return found


@pytest.mark.parametrize("name", ["study", "dataset", "adsl", "tte"])
def test_every_schema_key_is_on_the_reference_page(name):
    text = (ROOT / "docs" / "spec-reference.md").read_text(encoding="utf-8")
    missing = sorted(key for key in keys_of(schema(name), set()) if f"`{key}`" not in text)
    assert not missing, f"docs/spec-reference.md does not document {name} spec keys: {', '.join(missing)}"
