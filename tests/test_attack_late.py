"""An outside attack on four late changes (moved folders, only the newest main publishes, the
slow-clock refusal, ignored files in the working tree), through the CLI, the sandbox and real Git
repositories. Each open finding is a strict xfail: it fails today and turns into an XPASS (a
failure) the day it is fixed, so the marker has to go with the fix."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import requests

from tests.testing.fixtures import commit_all, git, jpeg_bytes, lint_json, make_repo, write_article
from tests.testing.publishing import world
from tests.testing.publishing import LUNCH, NEXT_LUNCH, bundle_index, by_status, finish, publisher, with_bare_remote


# -- 1. moved folders ---------------------------------------------------------------------------

def test_new_article_sharing_a_deleted_ones_folder_name_is_published_and_the_old_one_retracted(
        tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, department="publicity", slug="2026-11-20-notice", front_matter={"title": "运动会延期通知"},
                  body="因天气原因,秋季运动会延期举行。\n")
    commit_all(repo, "publicity's notice")
    code, report, err = finish(publisher(repo, sandbox))
    old = bundle_index("official", "publicity", "2026-11-20-notice")
    assert code == 0 and by_status(report)["published"] == {old}, (report, err)

    # Publicity withdraws its notice (deletes it); the school office writes its own, unrelated one
    shutil.rmtree(repo / "content" / "official" / "publicity")
    write_article(repo, department="school-office", slug="2026-11-20-notice",
                  front_matter={"title": "期末考试安排通知"}, body="期末考试将于一月上旬举行,请同学们做好准备。\n")
    commit_all(repo, "publicity withdraws its notice; the school office posts another")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    new = bundle_index("official", "school-office", "2026-11-20-notice")
    statuses = by_status(report)
    assert new in statuses["published"], (str(report), err)
    assert old in statuses["retracted"], (report, err)


# -- 2. only the newest main publishes ----------------------------------------------------------

def test_remote_head_on_a_branch_ahead_of_main_does_not_lock_main_out(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    remote = with_bare_remote(repo, tmp_path)
    git(repo, "switch", "-q", "-c", "develop")
    (repo / "NOTES.md").write_text("草稿区\n", encoding="utf-8")
    commit_all(repo, "work in progress on develop")
    git(repo, "push", "-q", "origin", "develop")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/develop")
    git(repo, "switch", "-q", "main")

    code, report, err = finish(publisher(repo, sandbox, "--push", "origin"))
    assert code == 0, err
    assert by_status(report)["published"] == {bundle_index("official", "publicity", "2026-11-20-weekly")}, report


def test_stale_run_refused_when_remote_head_is_dangling(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    old = commit_all(repo, "article")
    remote = with_bare_remote(repo, tmp_path)
    git(remote, "symbolic-ref", "HEAD", "refs/heads/master")  # what `git init --bare` leaves by default
    shutil.rmtree(repo / "content")
    (repo / "README.md").write_text("撤下\n", encoding="utf-8")
    commit_all(repo, "withdraw the article before any run")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "--detach", old)  # the late run of the old commit

    code, report, err = finish(publisher(repo, sandbox, "--push", "origin"))
    assert code == 2, (report, err)
    assert not report.get("published"), report


def test_silent_remote_is_a_clear_refusal_without_the_token(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel's backlog) and never answers
    token = "ghs_attackLateToken0123456789"
    remote = f"http://x-access-token:{token}@127.0.0.1:{listener.getsockname()[1]}/school/content.git"
    try:
        process = publisher(repo, sandbox, "--push", remote)
        out, err = process.communicate(timeout=180)
    finally:
        listener.close()
    assert token not in out + err
    assert "Traceback" not in err, err[-400:].replace(token, "<token>")
    assert process.returncode == 2, err


# -- 3. slow clock --------------------------------------------------------------------------------

def test_one_runner_with_a_clock_far_ahead_does_not_lock_out_publishing(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    code, report, err = finish(publisher(repo, sandbox, now="2027-06-01 12:30"))  # a time six months ahead
    assert code == 0 and report["published"], (report, err)

    write_article(repo, slug="2026-11-25-lecture", front_matter={"title": "讲座预告"})
    commit_all(repo, "next article")
    code, report, err = finish(publisher(repo, sandbox, now=""))  # the wall clock, which WeChat's agrees with
    assert code == 0, err
    assert "条时间晚于现在的记录" in err, err  # said, not silently skipped
    lecture = bundle_index("official", "publicity", "2026-11-25-lecture")
    statuses = by_status(report)  # published, or queued for its window by today's real time
    assert lecture in statuses["published"] | statuses["queued"], report


def test_a_wall_clock_off_from_wechats_publishes_nothing(tmp_path: Path, sandbox: str) -> None:
    """Without --now the runner's clock is held to WeChat's (the Date of its answers): a VM
    restored from a snapshot, hours behind, is refused before the ledger's first line."""
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    requests.post(f"{sandbox}/sandbox/clock", json={"advance": 15 * 3600}, timeout=10).raise_for_status()
    code, report, err = finish(publisher(repo, sandbox, now=""))
    assert code == 2, (report, err)
    assert "微信服务器的时间" in err and "早 15.0 小时" in err and "NTP" in err, err
    assert git(repo, "for-each-ref", "refs/wxpub") == ""  # nothing written, nothing sent
    assert world(sandbox)["drafts"] == []


# -- 4. ignored files -----------------------------------------------------------------------------

def test_lint_and_publish_agree_on_an_ignored_body_image(tmp_path: Path, sandbox: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".gitignore").write_text("originals/\n", encoding="utf-8")  # raw camera files stay local
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"},
                  body="运动会现场。\n\n![起跑](originals/start.jpg)\n",
                  files={"originals/start.jpg": jpeg_bytes(600, 400, color=(200, 30, 30))})
    code, data = lint_json(repo, capsys)
    lint_errors = [f for f in data["findings"] if f["severity"] == "error"]

    commit_all(repo, "article with a photo from originals/")
    assert git(repo, "ls-files", "content/official/publicity/2026-11-20-weekly/originals") == ""  # not committed
    code, report, err = finish(publisher(repo, sandbox))
    publish_failed = bool(report.get("failed")) or code != 0
    assert bool(lint_errors) == publish_failed, (lint_errors, str(report), err)


def test_lint_leaves_out_an_ignored_untracked_article_folder(tmp_path: Path, sandbox: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    (repo / ".git" / "info" / "exclude").write_text("/content/official/publicity/2026-11-21-private/\n",
                                                    encoding="utf-8")
    write_article(repo, slug="2026-11-21-private", drop=("title",))  # a local draft, kept out of Git
    assert git(repo, "status", "--porcelain") == ""  # nothing that a commit would take

    code, data = lint_json(repo, capsys)
    linted = {f["path"] for f in data["findings"]}
    assert not any("2026-11-21-private" in path for path in linted), data["findings"]
    assert code == 0, data["findings"]
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and not report["failed"], (str(report), err)


def test_renamed_article_is_not_sent_again_when_an_unrelated_one_shares_the_old_folder_name(
        tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    body = "因天气原因,秋季运动会延期举行。\n"
    write_article(repo, department="publicity", slug="2026-11-20-notice", front_matter={"title": "运动会延期通知"},
                  body=body)
    commit_all(repo, "the notice")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)

    # The slug is fixed (same content, new folder name); academic affairs adds its own notice whose
    # folder has the old name and sorts before publicity's
    (repo / "content/official/publicity/2026-11-20-notice").rename(
        repo / "content/official/publicity/2026-11-20-sports-notice")
    write_article(repo, department="academic-affairs", slug="2026-11-20-notice",
                  front_matter={"title": "期末考试安排通知"}, body="期末考试将于一月上旬举行,请同学们做好准备。\n")
    commit_all(repo, "rename the notice; academic affairs posts another")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    renamed = bundle_index("official", "publicity", "2026-11-20-sports-notice")
    assert renamed not in by_status(report)["published"], (str(report), err)  # it is out already


def test_renamed_article_alone_is_a_move(tmp_path: Path, sandbox: str) -> None:
    """The control for the test above: without the unrelated article, the rename is a move."""
    repo = make_repo(tmp_path)
    write_article(repo, department="publicity", slug="2026-11-20-notice", front_matter={"title": "运动会延期通知"},
                  body="因天气原因,秋季运动会延期举行。\n")
    commit_all(repo, "the notice")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)
    (repo / "content/official/publicity/2026-11-20-notice").rename(
        repo / "content/official/publicity/2026-11-20-sports-notice")
    commit_all(repo, "rename the notice")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    statuses = by_status(report)
    assert code == 0, err
    assert statuses["moved"] == {bundle_index("official", "publicity", "2026-11-20-sports-notice")}, report
    assert not statuses["published"] and not statuses["retracted"], report
