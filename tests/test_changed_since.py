"""`--changed-since REV` lints only what changed, found from Git (the revision and the files with the git command, pygit2's words for a revision it refuses)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.changes import _resolve, changed_since, open_repository, resolve_commit
from pipeline.errors import UserError
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


@pytest.mark.parametrize(("folder", "linted"), [("", 5), ("content/official", 4), ("content/youth/youth-league", 1),
                                                ("policies/wordlists", 5), ("themes/classic", 5)])
def test_a_gitattributes_above_articles_lints_the_articles_below_it(history: Path, capsys: pytest.CaptureFixture[str],
                                                                    folder: str, linted: int) -> None:
    """A .gitattributes outside any bundle changes no article's folder, yet can make every article
    below it check out otherwise than committed (ART005): the pull request adding it must say so."""
    (history / folder / ".gitattributes").write_text("*.md working-tree-encoding=UTF-16\n", encoding="utf-8")
    (history / "docs").mkdir()
    (history / "docs" / ".gitattributes").write_text("* ident\n", encoding="utf-8")  # no article reads docs/
    report = lint_json(history, capsys, "--changed-since", "base")
    assert report["files"] == linted
    assert {f["code"] for f in report["findings"]} == {"ART005"} and len(report["findings"]) == linted


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


@pytest.mark.parametrize("rev", ["--output=OUT", "-p", "--help", "--all", "-", "@{-1}", "HEAD^{tree}", "HEAD:content",
                                 "base\n", " base", "base~99", "base..HEAD", "\u7248\u672c"])
def test_a_revision_is_only_ever_a_name_to_look_up(history: Path, tmp_path: Path, rev: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """git resolves the revision (pygit2 only explains a failure): an attacker's `--output=FILE`
    must neither write a file nor be read as an option, and what names no commit is refused."""
    rev = rev.replace("OUT", str(tmp_path / "written"))
    assert main(["--root", str(history), "lint", f"--changed-since={rev}"]) == 2
    assert f"找不到 Git 版本 `{rev}`" in capsys.readouterr().err
    assert not (tmp_path / "written").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rev=st.one_of(
    st.sampled_from(["HEAD", "HEAD~1", "HEAD^", "base", "base^{commit}", "HEAD~0", "main", "master", "refs/tags/base",
                     "tags/base", "HEAD@{0}", "base^0", "HEAD~2", "nope", ""]),
    st.text(alphabet="HEADbse~^@{}:/.-0123456789abcdef ", max_size=12)))
def test_git_and_pygit2_agree_on_every_revision(history: Path, rev: str) -> None:
    """The fast path (git rev-parse) names the same commit pygit2 does, or both refuse it."""
    if not (history / "content/official/publicity/2026-10-08-later").exists():  # the fixture outlives one example
        write_article(history, slug="2026-10-08-later")
        commit_all(history, "later")
    try:
        fast: tuple[Path, str] | None = _resolve(history, rev)
    except UserError:
        fast = None
    try:
        repo = open_repository(history, "")
        slow: tuple[Path, str] | None = (Path(repo.workdir).resolve(), str(resolve_commit(repo, rev, "").id))
    except UserError:
        slow = None
    if slow is not None:
        assert fast == slow
    # git may refuse what libgit2 accepts; the fall-back then asks pygit2: never a different commit
    assert fast is None or slow is None or fast == slow


def test_a_gitignore_above_the_content_root_still_counts(tmp_path: Path, history: Path) -> None:
    """The untracked files are listed from the content root: the outer repository's .gitignore
    still applies there, as it does for a commit."""
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q")
    shutil.copytree(history, outer / "site", ignore=shutil.ignore_patterns(".git"))
    (outer / ".gitignore").write_text("*.tmp\n", encoding="utf-8")
    commit_all(outer, "site")
    (outer / "site/content/official/publicity/2026-10-01-news-1/notes.tmp").write_text("x", encoding="utf-8")
    (outer / "site/content/official/publicity/2026-10-02-news-2/notes.txt").write_text("x", encoding="utf-8")
    changes = changed_since(outer / "site", "HEAD")
    assert [str(p) for p in changes.bundles] == ["content/official/publicity/2026-10-02-news-2/index.md"]
