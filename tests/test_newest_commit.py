"""Only the newest main publishes: a run of an older commit (a workflow re-run, a late start)
publishes and retracts nothing when the remote's main has moved on (found by the second attack
on exactly once, tests/test_attack_exactly_once_2.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import VALID_BODY, commit_all, git, http, jpeg_bytes, make_repo, run_cli, write_article


def publish(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str,
            *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", now,
                             "--format", "json", *extra)
    assert out, err
    return code, json.loads(out)


def state(sandbox: str) -> dict[str, Any]:
    return http(sandbox.rstrip("/") + "/sandbox/state")


MASS = {"account": "cs-college", "department": "cs-college"}


def remote_and_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare 'origin' holding the content repository, and the first runner's clone of it."""
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-first")
    commit_all(root, "first")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(origin)], check=True)
    return origin, clone(origin, tmp_path / "runner-a")


def clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    git(where, "config", "user.email", "ci@example.invalid")
    git(where, "config", "user.name", "ci")
    return where


LEDGER = "refs/wxpub/sandbox-ledger"


def published_titles(sandbox: str) -> list[str]:
    return sorted(a["title"] for p in state(sandbox)["publications"] for a in p["articles"])


def test_a_rerun_pinned_to_an_older_commit_does_not_publish_what_main_removed(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Commit N adds an article after the day's window; commit N+1 takes it out again (it named
    the wrong date). Before the window opens no run writes anything; then the workflow run of
    N is re-run (GitHub re-runs check out the run's own SHA): it must not publish."""
    origin, a = remote_and_clone(tmp_path)
    write_article(a, slug="2026-10-20-wrong", front_matter={"title": "错误的通知"})
    older = commit_all(a, "N: a notice")
    git(a, "rm", "-q", "-r", "content/official/publicity/2026-10-20-wrong")
    commit_all(a, "N+1: withdrawn before it went out")
    git(a, "push", "-q", "origin", "main")
    code, report = publish(a, capsys, sandbox, "2026-10-20 11:00", "--push", "origin")  # run of N+1
    rerun = clone(origin, tmp_path / "rerun")
    git(rerun, "checkout", "-q", older)
    code, out, err = run_cli(rerun, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-20 12:30",
                             "--format", "json", "--push", "origin")
    assert "错误的通知" not in published_titles(sandbox), "a withdrawn notice went out"
    newest = git(a, "rev-parse", "HEAD")
    assert code == 2 and f"{older[:12]} 之后,main 已有更新的提交 {newest[:12]}" in err and "不予发布" in err, err
    # the run of the newest commit publishes what is due, and not the withdrawn notice
    code, report = publish(a, capsys, sandbox, "2026-10-20 12:31", "--push", "origin")
    assert [p["path"] for p in report["published"]] == ["content/official/publicity/2026-10-20-first/index.md"], report
    assert "错误的通知" not in published_titles(sandbox)


