"""A published article whose folder moves (a slug's typo fixed, another department's folder) is
the same article: WeChat keeps it, followers do not get it twice, and `status --verify` agrees.
Found by the second attack on exactly once (its test of a mass-sent article whose slug was fixed
is the first one here): articles were keyed by path, so a move was one retraction and one new
publication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import commit_all, git, http, make_repo, run_cli, write_article
from tests.testing.publishing import live_titles, verify, world

MASS = {"account": "cs-college", "department": "cs-college"}
DAY1, DAY2 = "2026-10-20", "2026-10-21"


def publish(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", now, "--format", "json")
    assert out, err
    return code, json.loads(out)


def move(root: Path, source: str, target: str) -> None:
    (root / target).parent.mkdir(parents=True, exist_ok=True)
    git(root, "mv", source, target)


def to_school_office(root: Path) -> Path:
    """The sample article moved to the school office's folder, its department: changed to match;
    its index.md."""
    move(root, "content/official/publicity/2026-10-20-sports-day", "content/official/school-office/2026-10-20-sports-day")
    index = root / "content/official/school-office/2026-10-20-sports-day/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("department: publicity", "department: school-office"),
                     encoding="utf-8")
    return index


def next_day(sandbox: str) -> None:
    http(sandbox.rstrip("/") + "/sandbox/clock", {"advance": 86400})


def test_a_mass_sent_article_whose_slug_is_fixed_reaches_followers_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-sports-dya", **MASS)
    commit_all(root, "article")
    code, report = publish(root, capsys, sandbox, f"{DAY1} 12:30")
    assert code == 0 and [p["status"] for p in report["published"]] == ["mass_sent"], report
    git(root, "mv", "content/cs-college/cs-college/2026-10-20-sports-dya", "content/cs-college/cs-college/2026-10-20-sports-day")
    commit_all(root, "fix the slug")
    next_day(sandbox)
    for hour in ("12:30", "18:30"):  # and again: the move is recognised every run, not once
        code, report = publish(root, capsys, sandbox, f"{DAY2} {hour}")
        assert code == 0 and not report["failed"] and not report["published"] and not report["retracted"], report
        [moved] = report["moved"]
        assert moved["path"] == "content/cs-college/cs-college/2026-10-20-sports-day/index.md", moved
        assert "2026-10-20-sports-dya" in moved["message"] and "republish: true" in moved["message"], moved
    [send] = world(sandbox)["mass_sends"]
    assert send["status"] != "DELETE", "moving a folder took the message out of followers' lists"
    assert verify(root, sandbox, capsys) == []


def test_an_article_moved_to_another_department_with_a_small_edit_is_not_sent_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path)
    index = write_article(root, department="publicity", slug="2026-10-20-sports-day")
    commit_all(root, "article")
    code, report = publish(root, capsys, sandbox, f"{DAY1} 12:30")
    assert code == 0 and len(report["published"]) == 1, report
    moved = to_school_office(root)
    commit_all(root, "belongs to the school office")
    code, report = publish(root, capsys, sandbox, f"{DAY1} 17:45")
    assert code == 0 and [m["path"] for m in report["moved"]] == [str(moved.relative_to(root))], report
    assert not report["published"] and not report["retracted"], report
    assert live_titles(sandbox) == ["学校举行秋季运动会"] and not index.exists()
    assert verify(root, sandbox, capsys) == []


def test_a_moved_article_is_retracted_where_it_now_is(tmp_path: Path, sandbox: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-sports-dya")
    commit_all(root, "article")
    assert publish(root, capsys, sandbox, f"{DAY1} 12:30")[0] == 0
    git(root, "mv", "content/official/publicity/2026-10-20-sports-dya", "content/official/publicity/2026-10-20-sports-day")
    commit_all(root, "fix the slug")
    assert publish(root, capsys, sandbox, f"{DAY1} 12:40")[1]["moved"]
    index = root / "content/official/publicity/2026-10-20-sports-day/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("---\n", "---\nretracted: true\n", 1), encoding="utf-8")
    commit_all(root, "take it down")
    code, report = publish(root, capsys, sandbox, f"{DAY1} 12:50")
    assert code == 0 and [r["path"] for r in report["retracted"]] == [
        "content/official/publicity/2026-10-20-sports-dya/index.md"], report
    assert live_titles(sandbox) == []
    assert verify(root, sandbox, capsys) == []


def test_a_moved_article_edited_with_republish_is_a_new_version(tmp_path: Path, sandbox: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-sports-day")
    commit_all(root, "article")
    assert publish(root, capsys, sandbox, f"{DAY1} 12:30")[0] == 0
    index = to_school_office(root)
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("---\n", "---\nrepublish: true\n", 1).replace("秋季运动会", "秋季田径运动会"),
                     encoding="utf-8")
    commit_all(root, "moved and rewritten")
    code, report = publish(root, capsys, sandbox, f"{DAY1} 17:45")
    assert [p["path"] for p in report["published"]] == [str(index.relative_to(root))], report
    assert [r["path"] for r in report["retracted"]] == ["content/official/publicity/2026-10-20-sports-day/index.md"], report
    assert verify(root, sandbox, capsys) == []
