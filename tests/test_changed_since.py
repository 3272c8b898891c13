"""`--changed-since REV` lints only what changed, found from Git (the revision with pygit2, the files with the git command)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.changes import changed_since
from pipeline.cli import main
from tests.testing.fixtures import commit_all, git, write_article


def lint_json(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    main(["--root", str(repo), "lint", "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def history(repo: Path) -> Path:
    for day in range(1, 5):
        write_article(repo, slug=f"2026-10-0{day}-news-{day}")
    write_article(repo, account="youth", department="youth-league", slug="2026-10-05-camp",
                  front_matter={"category": "学生活动"})
    commit_all(repo, "four articles")
    git(repo, "tag", "base")
    return repo


def paths(report: dict) -> set[str]:
    return {f["path"] for f in report["findings"]}


def test_nothing_changed_lints_nothing(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_json(history, capsys, "--changed-since", "base")["files"] == 0


def test_committed_uncommitted_and_untracked_changes(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(history, slug="2026-10-01-news-1", body="电话 13812345678。\n")  # committed edit
    commit_all(history, "edit one")
    (history / "content/official/publicity/2026-10-02-news-2/cover.jpg").write_bytes(b"not an image")  # media only, unstaged
    write_article(history, slug="2026-10-09-brand-new", body="邮箱 a.b@example.com。\n")  # untracked
    report = lint_json(history, capsys, "--changed-since", "base")
    assert report["files"] == 3
    assert paths(report) == {
        "content/official/publicity/2026-10-01-news-1/index.md",
        "content/official/publicity/2026-10-02-news-2/index.md",
        "content/official/publicity/2026-10-09-brand-new/index.md",
    }


def test_deleted_bundle_is_reported_as_removed_not_linted(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(history / "content/official/publicity/2026-10-03-news-3")
    changes = changed_since(history, "base")
    assert [str(p) for p in changes.removed] == ["content/official/publicity/2026-10-03-news-3/index.md"]
    assert changes.bundles == () and not changes.policy_changed
    assert lint_json(history, capsys, "--changed-since", "base")["files"] == 0


def test_policy_change_lints_everything(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    words = history / "policies/wordlists/prohibited.txt"
    words.write_text(words.read_text(encoding="utf-8") + "运动会\n", encoding="utf-8")
    report = lint_json(history, capsys, "--changed-since", "base")
    assert report["files"] == 5
    assert {f["code"] for f in report["findings"]} == {"WORD001"}  # the new word hits the existing articles


def test_path_argument_narrows_changed_set(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(history, slug="2026-10-01-news-1", body="正文改动。\n")
    write_article(history, account="youth", department="youth-league", slug="2026-10-05-camp",
                  front_matter={"category": "学生活动"}, body="正文也改了。\n")
    report = lint_json(history, capsys, "--changed-since", "base", str(history / "content/youth"))
    assert report["files"] == 1


def test_unknown_revision_is_a_usage_error(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(history), "lint", "--changed-since", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert "找不到 Git 版本 `no-such-branch`" in err and "fetch-depth" in err


def test_not_a_git_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plain"
    shutil.copytree(Path(__file__).resolve().parents[1] / "policies", root / "policies")
    shutil.copy(Path(__file__).resolve().parents[1] / "policies.yaml", root / "policies.yaml")
    assert main(["--root", str(root), "lint", "--changed-since", "HEAD"]) == 2
    assert "不在 Git 仓库中" in capsys.readouterr().err


def test_renamed_staged_chinese_named_and_ignored_files(history: Path) -> None:
    """A folder renamed (git mv, staged) is the new article plus the old one removed; a folder
    named in Chinese comes back unquoted; an ignored file is no change."""
    git(history, "mv", "content/official/publicity/2026-10-04-news-4", "content/official/publicity/2026-10-04-运动会")
    write_article(history, slug="2026-10-06-校庆")  # untracked, Chinese name
    (history / ".gitignore").write_text("*.tmp\n", encoding="utf-8")
    (history / "content/official/publicity/2026-10-01-news-1/notes.tmp").write_text("x", encoding="utf-8")
    changes = changed_since(history, "base")
    assert [str(p) for p in changes.bundles] == ["content/official/publicity/2026-10-04-运动会/index.md",
                                                 "content/official/publicity/2026-10-06-校庆/index.md"]
    assert [str(p) for p in changes.removed] == ["content/official/publicity/2026-10-04-news-4/index.md"]


def test_a_root_below_the_top_of_the_repository(tmp_path: Path, history: Path) -> None:
    """The content repository may be a folder of a larger one: paths come relative to it."""
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q")
    shutil.copytree(history, outer / "site", ignore=shutil.ignore_patterns(".git"))
    commit_all(outer, "site")
    write_article(outer / "site", slug="2026-10-07-new")
    changes = changed_since(outer / "site", "HEAD")
    assert [str(p) for p in changes.bundles] == ["content/official/publicity/2026-10-07-new/index.md"]
