"""Docs that tests keep honest: every rule code, every policies.yaml key and every front
matter field is documented, with the right default severity."""

from __future__ import annotations

import re
from typing import Any, Iterator

from pipeline.lint.registry import RULES
from pipeline.schema_check import load_schema
from tests.testing.fixtures import PROJECT


def _property_names(schema: Any, root: dict[str, Any]) -> Iterator[str]:
    if isinstance(schema, dict):
        if "$ref" in schema:
            yield from _property_names(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _property_names(sub, root)
        for key in ("additionalProperties", "items"):
            if isinstance(schema.get(key), dict):
                yield from _property_names(schema[key], root)


def test_every_rule_code_is_documented_with_its_default_severity() -> None:
    doc = (PROJECT / "docs/rules.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| ([A-Z]+\d{3}) \| (\w+) \|", doc, re.M))
    assert rows == {code: info.severity.value for code, info in RULES.items()}


def test_every_policies_key_is_documented() -> None:
    doc = (PROJECT / "docs/policies.md").read_text(encoding="utf-8")
    schema = load_schema("policies.schema.json")
    missing = sorted({n for n in _property_names(schema, schema) if f"`{n}`" not in doc})
    assert missing == []


def test_every_front_matter_field_is_documented() -> None:
    doc = (PROJECT / "docs/articles.md").read_text(encoding="utf-8")
    schema = load_schema("front-matter.schema.json")
    missing = sorted({n for n in _property_names(schema, schema) if f"`{n}`" not in doc})
    assert missing == []


def test_readme_commands_are_the_ones_ci_runs() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    ci = (PROJECT / ".ci/run").read_text(encoding="utf-8")
    assert "./dev demo" in readme and "./dev test" in readme
    assert "./dev test" in ci


def test_every_ledger_step_is_documented() -> None:
    from pipeline.records import RECORD_TYPES
    doc = (PROJECT / "docs/ledger.md").read_text(encoding="utf-8")
    assert [str(step) for step in RECORD_TYPES if f"`{step}`" not in doc] == []
