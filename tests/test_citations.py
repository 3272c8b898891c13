"""Every rule cites a clause of the school's own regulation that exists and says what the rule
enforces: built-in rules cite a requirement id (R1-R20), policies.yaml `regulations:` maps it
to the school's clause, and the clause is in the document named (docs/regulations.md for the
sample school), in the section of that requirement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.lint.registry import RULES
from pipeline.lint.rules.frontmatter import _REQUIRED_BY
from tests.testing.fixtures import PROJECT, SAMPLE_POLICY, write_article

CLAUSE = re.compile(r"^《(?P<title>[^》]+)》(?P<clause>第[一二三四五六七八九十百]+条):\S")
POLICY = yaml.safe_load(SAMPLE_POLICY)
SCAFFOLD = yaml.safe_load((PROJECT / "pipeline" / "init_files" / "policies.yaml").read_text(encoding="utf-8"))


def _cited_ids(policy: dict) -> set[str]:
    """Every id a finding can cite under `policy`: built-in defaults, FM001's per field, the
    policy's own word lists, custom rules and rule overrides."""
    ids = {info.regulation for info in RULES.values() if info.regulation} | set(_REQUIRED_BY.values())
    ids |= {w["regulation"] for w in policy.get("wordlists", []) if "regulation" in w}
    ids |= {r["regulation"] for r in policy.get("custom_rules", []) if "regulation" in r}
    ids |= {o["regulation"] for o in (policy.get("rules") or {}).values() if "regulation" in o}
    return ids


def _sections(document: str) -> dict[str, str]:
    """`第N条` -> the text of its section."""
    parts = re.split(r"^### (第[一二三四五六七八九十百]+条)\s*$", document, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_cited_id_is_a_clause_of_the_sample_policy() -> None:
    assert _cited_ids(POLICY) <= set(POLICY["regulations"])


def test_the_scaffolded_policy_maps_every_id_a_built_in_rule_cites() -> None:
    assert _cited_ids(SCAFFOLD) <= set(SCAFFOLD["regulations"])


@pytest.mark.parametrize("rid", sorted(POLICY["regulations"], key=lambda r: int(r[1:])))
def test_each_clause_exists_in_the_document_it_names_and_covers_the_requirement(rid: str) -> None:
    text = POLICY["regulations"][rid]
    match = CLAUSE.match(text)
    assert match, f"{rid}: 「{text}」 should read 《title》第N条:summary"
    document = (PROJECT / "docs" / "regulations.md").read_text(encoding="utf-8")
    assert document.splitlines()[0].startswith(f"# 《{match['title']}》")
    sections = _sections(document)
    assert match["clause"] in sections, f"{rid}: {match['clause']} is not in docs/regulations.md"
    assert re.search(rf"[(、]{rid}[)、]", sections[match["clause"]]), \
        f"{match['clause']} of docs/regulations.md does not say it covers {rid}"


def test_no_citation_names_another_schools_regulation() -> None:
    for text in POLICY["regulations"].values():
        assert "怀城" not in text and "江城大学" in text


def test_every_document_the_policy_points_at_exists() -> None:
    for path in set(re.findall(r"docs/[\w./-]+\.md", SAMPLE_POLICY)):
        assert (PROJECT / path).is_file(), path


@pytest.mark.parametrize(("field", "rid"), [("category", "R11"), ("author", "R8"), ("cover", "R10"), ("title", "")])
def test_a_missing_field_cites_the_clause_that_asks_for_it(repo: Path, lint, field: str, rid: str) -> None:
    write_article(repo, drop=(field,))
    _, findings = lint(repo)
    (hit,) = [f for f in findings if f["code"] == "FM001"]
    expected = f"{rid} {POLICY['regulations'][rid]}" if rid else ""
    assert hit["regulation"] == expected
