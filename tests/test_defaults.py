"""The shipped themes and word lists, and a school's own files overriding them
(pipeline/defaults.py): one lookup, read by lint, render and publish alike."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import pygit2
import pytest

from pipeline.defaults import shipped_root
from pipeline.policies import load_policies
from pipeline.render import render_article, theme_for
from pipeline.render.themes import available
from pipeline.content import Article, load_article
from pipeline.errors import UserError
from pipeline.snapshot import CommitTree, WorkTree
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
