"""The shipped themes and word lists, and a school's own files overriding them
(pipeline/defaults.py): one lookup, read by lint, render and publish alike."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.defaults import shipped_root, with_defaults
from pipeline.policies import load_policies
from pipeline.render import render_article, theme_for
from pipeline.render.themes import available
from pipeline.content import Article, load_article
from pipeline.errors import UserError
from pipeline.snapshot import MISSING, CommitTree, Refused, WorkTree
from tests.testing.fixtures import commit_all, make_repo, write_article


def _article(root: Path, index: Path) -> Article:
    article = load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))
    assert isinstance(article, Article), article
    return article


def _bare_school(tmp_path: Path) -> Path:
    """The sample school with neither themes/ nor word lists of its own."""
    root = make_repo(tmp_path)
    shutil.rmtree(root / "themes")
    shutil.rmtree(root / "policies")
    return root


def test_a_school_without_themes_or_lists_gets_the_shipped_ones(tmp_path: Path, lint) -> None:
    root = _bare_school(tmp_path)
    write_article(root, body="这是全国第一的成绩。\n")  # 全国第一 is in the shipped superlatives list
    policies = load_policies(root)
    assert available(policies.files) == ["campus", "classic"]
    assert any("全国第一" in w.words for w in policies.wordlists)
    code, findings = lint(root)
    assert "WORD003" in {f["code"] for f in findings}, findings


def test_a_schools_own_theme_replaces_the_shipped_one_as_a_whole(tmp_path: Path) -> None:
    root = _bare_school(tmp_path)
    own = root / "themes" / "classic"
    own.mkdir(parents=True)
    shipped = shipped_root() / "themes" / "classic"
    (own / "theme.yaml").write_text((shipped / "theme.yaml").read_text(encoding="utf-8")
                                    .replace("name:", "name: 本校经典 #", 1), encoding="utf-8")
    (own / "article.html.j2").write_text("<section data-school-own>{{ body }}</section>", encoding="utf-8")
    index = write_article(root)
    policies = load_policies(root)
    theme = theme_for(_article(root, index), policies)
    assert theme.label.startswith("本校经典")
    assert "data-school-own" in render_article(_article(root, index), policies).content
    # the shipped campus theme is still there beside the school's own classic
    assert available(policies.files) == ["campus", "classic"]


def test_a_schools_own_word_list_replaces_the_shipped_file(tmp_path: Path, lint) -> None:
    root = _bare_school(tmp_path)
    lists = root / "policies" / "wordlists"
    lists.mkdir(parents=True)
    (lists / "superlatives.txt").write_text("# 本校自己的词表\n顶呱呱\n", encoding="utf-8")
    policies = load_policies(root)
    words = {w.source: w.words for w in policies.wordlists}
    assert words["policies/wordlists/superlatives.txt"] == ("顶呱呱",)
    assert words["policies/wordlists/prohibited.txt"]  # still the shipped one


def test_a_symlinked_theme_is_refused_not_replaced_by_the_shipped_one(tmp_path: Path) -> None:
    root = _bare_school(tmp_path)
    (root / "themes" / "classic").mkdir(parents=True)
    (root / "themes" / "classic" / "theme.yaml").symlink_to(shipped_root() / "themes" / "classic" / "theme.yaml")
    index = write_article(root)
    with pytest.raises(UserError, match="符号链接"):
        theme_for(_article(root, index), load_policies(root))


def test_publishing_from_a_commit_uses_the_same_lookup(tmp_path: Path) -> None:
    root = _bare_school(tmp_path)
    write_article(root)
    commit_all(root)
    tree = pygit2.Repository(str(root)).head.peel(pygit2.Commit).tree
    policies = load_policies(root, CommitTree(tree))
    assert available(policies.files) == ["campus", "classic"]
    assert policies.files.files_under(PurePosixPath("content"))  # articles still come from the commit


# --- the lookup as an attacker would probe it ----------------------------------------------------

PARTS = st.sampled_from(["themes", "policies", "wordlists", "classic", "campus", "theme.yaml", "article.html.j2",
                         "prohibited.txt", "..", ".", "content", "x", ""])


@pytest.fixture(scope="module")
def school_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A school with its own `themes/campus/` and one word list, and an article."""
    root = tmp_path_factory.mktemp("school")
    (root / "themes" / "campus").mkdir(parents=True)
    (root / "themes" / "campus" / "theme.yaml").write_text("styles: {}\n", encoding="utf-8")
    (root / "policies" / "wordlists").mkdir(parents=True)
    (root / "policies" / "wordlists" / "prohibited.txt").write_text("本校\n", encoding="utf-8")
    (root / "content").mkdir()
    (root / "content" / "x").write_text("article", encoding="utf-8")
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(PARTS, min_size=1, max_size=5))
def test_the_shipped_copy_only_fills_a_missing_theme_or_list(school_tree: Path, parts: list[str]) -> None:
    path = PurePosixPath(*[p for p in parts if p]) if any(parts) else PurePosixPath("x")
    own, layered = WorkTree(school_tree), with_defaults(WorkTree(school_tree))
    try:
        with own.open(path) as handle:
            mine: bytes | str = handle.read()
    except Refused as refused:
        mine = refused.problem
    try:
        with layered.open(path) as handle:
            served: bytes | str = handle.read()
    except Refused as refused:
        served = refused.problem
    if mine == served:
        return
    # only a file the school lacks may differ, and only inside a shipped theme the school does
    # not have at all, or as a word list of its own name: never a refusal turned into bytes
    assert mine == MISSING, (path, mine, served)
    assert ".." not in path.parts
    theme = path.parts[0] == "themes" and len(path.parts) >= 3 and path.parts[1] != "campus"
    wordlist = path.parts[:2] == ("policies", "wordlists") and len(path.parts) == 3 and path.name != "prohibited.txt"
    assert theme or wordlist, (path, served)
    assert isinstance(served, bytes) and served == (shipped_root() / path).read_bytes()
