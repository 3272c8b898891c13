"""The front-matter schema editors' tools get (`wxpub schema`, pipeline/editor.py): it is the
one shipped schema plus this policy's choices, it is up to date in this repository, and it
gives the same verdict as lint's front-matter rules on any front matter, the sample articles
and random ones alike (what depends on the folder or the calendar excepted: see editor.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from pipeline.content import Article, find_bundles, load_article, parse_article
from pipeline.editor import FRONT_MATTER_SCHEMA_FILE, front_matter_schema
from pipeline.lint.engine import lint_article
from pipeline.policies import Policies, load_policies
from pipeline.schema_check import load_schema
from pipeline.scaffold import scaffold
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import PROJECT, VALID_FRONT_MATTER, make_repo, run_cli

POLICIES = load_policies(PROJECT)
SCHEMA = front_matter_schema(POLICIES)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
# FM013 (an impossible date such as 2026-02-30) and FM014 (two folders of one name) need the
# calendar or other articles; the random front matter below never has either
FOLDER_DEPARTMENT = "publicity"


def _fm_codes(front_matter: dict[str, Any], policies: Policies = POLICIES) -> set[str] | None:
    """The FM codes lint reports for `front_matter` in a folder its department writes from
    (None when the YAML does not read back as an article, e.g. a line separator in a value)."""
    department = front_matter.get("department")
    writers = {d: a for a in policies.accounts.values() for d in a.contributors}
    folder = department if isinstance(department, str) and department in writers and department in policies.departments \
        else FOLDER_DEPARTMENT
    path = PurePosixPath("content", writers[folder].id, folder, "2026-10-20-x", "index.md")
    text = "---\n" + yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False) + "---\n\n正文。\n"
    article = parse_article(path, text.encode("utf-8"))
    if not isinstance(article, Article) or dict(article.front_matter) != front_matter:
        return None
    return {f.code for f in lint_article(article, policies).findings if f.code.startswith("FM")}


def test_schema_is_the_shipped_one_with_the_policys_choices() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    shipped = load_schema("front-matter.schema.json")
    assert set(SCHEMA["properties"]) == set(shipped["properties"]) and SCHEMA["required"] == shipped["required"]
    assert SCHEMA["properties"]["category"]["enum"] == list(POLICIES.categories)
    assert set(SCHEMA["properties"]["department"]["enum"]) == {d for a in POLICIES.accounts.values() for d in a.contributors}


def test_every_property_has_a_chinese_title_and_description() -> None:
    def walk(properties: dict[str, Any]) -> None:
        for name, spec in properties.items():
            for key in ("title", "description"):
                assert any("\u4e00" <= c <= "\u9fff" for c in spec.get(key, "")), (name, key)
            walk(spec.get("properties", {}))
    walk(load_schema("front-matter.schema.json")["properties"])


def test_the_committed_schema_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(PROJECT, capsys, "schema", "--check")
    assert code == 0, err
    assert json.loads((PROJECT / FRONT_MATTER_SCHEMA_FILE).read_text(encoding="utf-8")) == SCHEMA


def test_check_fails_on_a_stale_schema_until_it_is_written_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    assert run_cli(repo, capsys, "schema", "--check")[0] == 1  # missing
    assert run_cli(repo, capsys, "schema")[0] == 0
    assert run_cli(repo, capsys, "schema", "--check")[0] == 0
    policy = repo / "policies.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("  - name: 学术交流\n", "  - name: 校友风采\n  - name: 学术交流\n"),
                      encoding="utf-8")
    code, _, err = run_cli(repo, capsys, "schema", "--check")
    assert code == 1 and "校友风采" in err and "wxpub schema" in err
    code, out, _ = run_cli(repo, capsys, "schema", "-o", "-")
    assert code == 0 and "校友风采" in json.loads(out)["properties"]["category"]["enum"]


def test_every_sample_article_is_valid_and_lint_agrees() -> None:
    bundles = list(find_bundles(PROJECT))
    assert len(bundles) >= 10
    for bundle in bundles:
        article = load_article(WorkTree(PROJECT), bundle)
        assert isinstance(article, Article)
        assert list(VALIDATOR.iter_errors(dict(article.front_matter))) == [], bundle
        assert not [f for f in lint_article(article, POLICIES).findings if f.code.startswith("FM")], bundle


@pytest.mark.parametrize(("change", "code"), [
    ({"department": "nope"}, "FM004"),
    ({"category": "八卦"}, "FM005"),
    ({"title": "标" * 33}, "FM006"),
    ({"author": 12}, "FM002"),
    ({"source": {"name": "新华社", "url": "https://www.news.cn/x"}}, "FM009"),  # with original: true
    ({"original": False}, "FM009"),
    ({"titel": "typo"}, "FM003"),
    ({"publish_at": "tomorrow"}, "FM002"),
    ({"classification": "secret-ish"}, "FM002"),
])
def test_bad_front_matter_is_rejected_by_both(change: dict[str, Any], code: str) -> None:
    front_matter = {**VALID_FRONT_MATTER, **change}
    assert code in (_fm_codes(front_matter) or set())
    assert not VALIDATOR.is_valid(front_matter)
    assert VALIDATOR.is_valid(VALID_FRONT_MATTER) and _fm_codes(dict(VALID_FRONT_MATTER)) == set()


def test_a_repost_without_original_is_valid_for_both() -> None:
    front_matter = {**VALID_FRONT_MATTER, "source": {"name": "新华社", "url": "https://www.news.cn/x"}}
    front_matter.pop("original")
    assert VALIDATOR.is_valid(front_matter) and _fm_codes(front_matter) == set()
    front_matter["original"] = False
    assert VALIDATOR.is_valid(front_matter) and _fm_codes(front_matter) == set()


_short_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_anything = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), _short_text, st.lists(_short_text, max_size=2))
_url = st.sampled_from(["https://mp.weixin.qq.com/s/x", "http://a.cn/b", "ftp://a.cn", "", "https://a b"])
FIELDS = {
    "title": st.one_of(_short_text, _anything),
    "author": st.one_of(st.text(max_size=20), _anything),
    "department": st.one_of(st.sampled_from([*POLICIES.departments, "nope", ""]), _anything),
    "category": st.one_of(st.sampled_from([*POLICIES.categories, "八卦", ""]), _anything),
    "cover": st.one_of(st.just("cover.jpg"), _anything),
    "digest": st.one_of(st.text(max_size=140), _anything),
    "original": st.one_of(st.booleans(), _anything),
    "source": st.one_of(st.fixed_dictionaries({}, optional={"name": st.one_of(_short_text, _anything), "url": _url,
                                                            "extra": _short_text}), _anything),
    "publish_at": st.one_of(st.sampled_from(["2026-10-20", "2026-10-20 08:30", "2026-10-20T08:30:00", "明天",
                                             "2026-10-20 8:30"]), _anything),
    "classification": st.one_of(st.sampled_from(["public", "internal", "secret", "Public"]), _anything),
    "comments": st.one_of(st.sampled_from(["open", "fans", "closed", "all"]), _anything),
    "read_more": st.one_of(_url, _anything),
    "priority": st.one_of(st.integers(-5, 5), _anything),
    "headline": _anything,
    "tags": st.one_of(st.lists(_short_text, max_size=3), _anything),
    "retracted": _anything,
    "republish": _anything,
    "titel": _anything,  # an unknown key (FM003)
}


# a valid front matter, some fields replaced by anything, a few dropped: near the boundary
FRONT_MATTERS = st.builds(lambda changes, dropped: {k: v for k, v in {**VALID_FRONT_MATTER, **changes}.items()
                                                    if k not in dropped},
                          st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True).flatmap(
                              lambda keys: st.fixed_dictionaries({k: FIELDS[k] for k in keys})),
                          st.sets(st.sampled_from(sorted(VALID_FRONT_MATTER)), max_size=1))


@settings(max_examples=400, deadline=None)
@given(FRONT_MATTERS)
def test_schema_and_lint_give_the_same_verdict_on_any_front_matter(front_matter: dict[str, Any]) -> None:
    codes = _fm_codes(front_matter)
    assume(codes is not None)
    assert VALIDATOR.is_valid(front_matter) == (not codes), (codes, [e.message for e in VALIDATOR.iter_errors(front_matter)])


def test_init_writes_the_schema_for_the_new_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = scaffold(tmp_path / "school", force=False)
    schema = json.loads((made.root / FRONT_MATTER_SCHEMA_FILE).read_text(encoding="utf-8"))
    assert schema == front_matter_schema(load_policies(made.root))
    assert run_cli(made.root, capsys, "schema", "--check")[0] == 0
    # the editor settings it writes are this repository's own
    for ours, theirs in ((".vscode/settings.json", ".vscode/settings.json"),
                         (".vscode/extensions.json", ".vscode/extensions.json"), (".remarkrc.json", ".remarkrc.json")):
        assert (made.root / theirs).read_bytes() == (PROJECT / ours).read_bytes()
    remark = json.loads((made.root / ".remarkrc.json").read_text(encoding="utf-8"))
    assert remark["plugins"][1][1]["schemas"] == {f"./{FRONT_MATTER_SCHEMA_FILE}": ["./content/**/index.md"]}
    shutil.rmtree(made.root)


def test_an_unwritable_target_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".vscode").write_text("a file where the folder should be", encoding="utf-8")
    code, _, err = run_cli(repo, capsys, "schema")
    assert code == 2 and "无法写入" in err
