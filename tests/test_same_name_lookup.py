"""FM014 asks the file system only about folders named like a linted article (a few dozen
paths for a pull request's check, not every article folder), and lists the departments'
folders when that is cheaper (a full lint); either way it must find exactly the same-named
folders that listing every folder of every department finds, whatever the tree holds:
folders without an index.md, an index.md that is a folder, linked folders and departments,
names with spaces or in Chinese, the same name in several departments."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import ARTICLE_FILE, CONTENT_DIR, same_names
from pipeline.lint import engine
from pipeline.lint.engine import same_name_findings

NAMES = st.sampled_from(["2026-01-02-a", "2026-01-02-b", "新 文章", "a b", "x", ".hidden"])
KINDS = st.sampled_from(["article", "article", "article", "empty", "index-is-folder", "linked", "file"])
LAYOUT = st.lists(st.tuples(st.sampled_from(["main", "club"]), st.sampled_from(["office", "团委", "linked-dept"]),
                            NAMES, KINDS), max_size=14)


def _build(root: Path, layout: list[tuple[str, str, str, str]]) -> list[PurePosixPath]:
    """The tree; the articles (index.md files) it holds, as lint would name them."""
    elsewhere = root / "elsewhere"
    for account, department, name, kind in layout:
        if department == "linked-dept":
            target = elsewhere / account
            target.mkdir(parents=True, exist_ok=True)
            link = root / CONTENT_DIR / account / department
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to(target, target_is_directory=True)
        folder = root / CONTENT_DIR / account / department / name
        if folder.exists() or folder.is_symlink():
            continue
        folder.parent.mkdir(parents=True, exist_ok=True)
        if kind == "article":
            folder.mkdir()
            (folder / ARTICLE_FILE).write_text("---\ntitle: t\n---\n", encoding="utf-8")
        elif kind == "empty":
            folder.mkdir()
        elif kind == "index-is-folder":
            (folder / ARTICLE_FILE).mkdir(parents=True)
        elif kind == "linked":
            target = elsewhere / f"{account}-{department}-{name}"
            target.mkdir(parents=True)
            (target / ARTICLE_FILE).write_text("---\ntitle: t\n---\n", encoding="utf-8")
            folder.symlink_to(target, target_is_directory=True)
        else:
            folder.write_text("not a folder", encoding="utf-8")
    articles = []
    for account, department, name, _kind in layout:
        path = PurePosixPath(CONTENT_DIR, account, department, name, ARTICLE_FILE)
        if (root / path).is_file() and path not in articles:
            articles.append(path)
    return articles


def _every_folder_listed(root: Path, paths: list[PurePosixPath]) -> dict[str, tuple[PurePosixPath, ...]]:
    """What FM014 reports when every folder of every department is listed (as it was): each
    linted path with a same-named article, and those others."""
    def folders(parent: Path) -> list[str]:
        try:
            with os.scandir(parent) as entries:
                return [entry.name for entry in entries if entry.is_dir()]
        except OSError:
            return []

    wanted = {(p.parts[1], p.parts[3]) for p in paths}
    everything = set(paths)
    for account in {account for account, _ in wanted}:
        for department in folders(root / CONTENT_DIR / account):
            for folder in folders(root / CONTENT_DIR / account / department):
                if (account, folder) in wanted and (root / CONTENT_DIR / account / department / folder / ARTICLE_FILE).is_file():
                    everything.add(PurePosixPath(CONTENT_DIR, account, department, folder, ARTICLE_FILE))
    return {str(path): others for path, others in same_names(everything).items() if path in paths}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=LAYOUT, data=st.data(), most_lookups=st.sampled_from([0, 1, 3, engine._MOST_LOOKUPS]))
def test_asking_for_the_linted_names_finds_what_listing_every_folder_finds(
        layout: list[tuple[str, str, str, str]], data: st.DataObject, most_lookups: int) -> None:
    """Both ways of looking (asking for each name, listing the departments' folders) and
    their mix across accounts: the limit between them is drawn too."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        articles = _build(root, layout)
        linted = data.draw(st.lists(st.sampled_from(articles), unique=True)) if articles else []
        found = same_name_findings(root, linted, most_lookups=most_lookups)
        expected = _every_folder_listed(root, linted)
        assert all(f.code == "FM014" for f in found)
        assert sorted(f.path for f in found) == sorted(expected)
        for finding in found:  # the message names the same other folders, in the same order
            assert "、".join(str(other.parent) for other in expected[finding.path]) in finding.message


def test_the_same_name_in_another_department_is_found_when_only_one_is_linted(tmp_path: Path) -> None:
    articles = _build(tmp_path, [("main", "office", "2026-01-02-a", "article"), ("main", "团委", "2026-01-02-a", "article"),
                                 ("club", "office", "2026-01-02-a", "article")])
    found = same_name_findings(tmp_path, [articles[0]])
    assert [f.path for f in found] == [str(articles[0])]
    assert "content/main/团委/2026-01-02-a" in found[0].message
    assert "club" not in found[0].message  # another account may use the same name
