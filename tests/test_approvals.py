"""Staged approvals: real Git repos, the real forge client over HTTP to a fake GitHub.

The sample policy counts each person's approval for one stage and orders the stages
(`approvals: {one_stage_per_reviewer: true, ordered: true}`); `policy(...)` makes a
repository with either switched off, for the neighbouring cases."""

from __future__ import annotations

import itertools
import json
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from github import Auth, Github, GithubException

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.approvals import StageNeed, judge, stages_needed
from pipeline.cli import main
from pipeline.content import Article, load_article
from pipeline.forge import ChangedFile, PullRequest, Review
from pipeline.policies import ApprovalRules, Policies, load_policies
from pipeline.snapshot import WorkTree
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, make_repo
from tests.testing.preview_job import comment_on_pull
from tests.testing.workflow_tokens import APPROVALS, github_token

HEAD, OLD = "h" * 40, "o" * 40
NEWS = "content/official/publicity/2026-10-20-sports-day/index.md"
NOTICE = "content/official/academic-affairs/2026-10-21-exam-notice/index.md"
YOUTH = "content/youth/student-union/2026-10-22-club-fair/index.md"


def article(category: str = "学校新闻", **extra: Any) -> bytes:
    fm = {"title": "标题", "author": "王芳", "category": category, "cover": "cover.jpg", "original": True, **extra}
    return ("---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n\n正文。\n").encode()


def approvals(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(root), "approvals", "--pr", "1", "--format", "json", *extra])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return code, json.loads(out.out) if out.out else {}


def stages(report: dict[str, Any]) -> dict[str, tuple[list[str], bool]]:
    return {s["name"]: (s["approved_by"], s["satisfied"]) for s in report["stages"]}


def pull(fake: FakeGitHub, *files: tuple[str, str, str | None], author: str = "editor-li") -> None:
    fake.add_pull(1, author, HEAD, base_sha="b" * 40, files=list(files))


def not_counted(report: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {s["name"]: [(n["user"], n["reason"]) for n in s["not_counted"]] for s in report["stages"] if s["not_counted"]}


def edited_policy(*edits: tuple[str, str]) -> str:
    """The sample policy with each (old, new) replaced once; an edit that misses fails the test."""
    text = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def policy(tmp_path: Path, **approvals: bool) -> Path:
    """A repository whose policy sets `approvals:` to `approvals` instead of the sample's."""
    text = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
    start = text.index("\napprovals:\n")
    end = text.index("\n\n", start + 1)
    lines = "".join(f"\n  {key}: {'true' if value else 'false'}" for key, value in approvals.items())
    root = make_repo(tmp_path, policies=text[:start] + "\napprovals:" + lines + text[end:])
    assert yaml.safe_load((root / "policies.yaml").read_text(encoding="utf-8"))["approvals"] == approvals
    return root


def test_all_stages_approved(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    github.add_review(1, "pub-editor", "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status")
    assert code == 0 and report["approved"] and report["problem"] is None
    # publicity is both the article's department and the publicity stage: two people, one each
    assert stages(report) == {"部门负责人审核(党委宣传部)": (["pub-chief"], True), "党委宣传部审核": (["pub-editor"], True)}
    [status] = github.statuses
    assert (status["sha"], status["state"], status["context"]) == (HEAD, "success", "wxpub/approvals")


def test_one_stage_missing_and_the_next_team_is_asked(repo: Path, github: FakeGitHub,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "aa-head", "APPROVED", HEAD)
    github.add_review(1, "pub-editor", "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status", "--request-next")
    assert code == 1 and not report["approved"]
    assert stages(report) == {"部门负责人审核(教务处)": (["aa-head"], True), "党委宣传部审核": (["pub-editor"], True),
                              "校领导审批": ([], False)}  # 通知公告 needs a school leader
    assert github.statuses[-1]["state"] == "failure" and "校领导审批" in github.statuses[-1]["description"]
    assert github.review_requests == [(1, ["leadership"])]


def test_approval_on_an_older_commit_does_not_count(repo: Path, github: FakeGitHub,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "modified", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", OLD)
    code, report = approvals(repo, capsys)
    assert code == 1 and all(not ok for _, ok in stages(report).values())


def test_one_approval_no_longer_meets_two_stages_of_one_team(repo: Path, github: FakeGitHub,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status")
    assert code == 1
    assert stages(report) == {"部门负责人审核(党委宣传部)": (["pub-chief"], True), "党委宣传部审核": ([], False)}
    assert not_counted(report) == {"党委宣传部审核": [("pub-chief", "已计入「部门负责人审核(党委宣传部)」,每人的批准只计入一个阶段")]}
    assert github.statuses[-1]["state"] == "failure" and "党委宣传部审核" in github.statuses[-1]["description"]


def test_the_author_cannot_approve_and_their_refused_approval_counts_for_nothing(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None), author="pub-editor")
    github.set_file(HEAD, NEWS, article())
    as_author = Github(auth=Auth.Token(github.token_for("pub-editor")), base_url=github.url, retry=None)
    with pytest.raises(GithubException) as caught:  # GitHub answers 422, and so does the fake
        as_author.get_repo(github.repo).get_pull(1).create_review(event="APPROVE")
    assert caught.value.status == 422
    github.add_review(1, "pub-chief", "APPROVED")
    code, report = approvals(repo, capsys)
    assert code == 1
    assert stages(report) == {"部门负责人审核(党委宣传部)": (["pub-chief"], True), "党委宣传部审核": ([], False)}
    assert "pub-editor" not in json.dumps(report["stages"])  # nor listed as one who could still approve


def test_an_author_approval_in_the_data_still_counts_for_nothing() -> None:
    # GitHub refuses it (above), so only data from elsewhere could hold one: judged all the same
    pr = PullRequest(1, "Pub-Editor", HEAD, "b" * 40, "main", False, None, "open", "", 1)
    need = StageNeed("publicity", "党委宣传部审核", "publicity", ("@jcu-media/publicity",), 1, ("a",), 1)
    reviews = [Review(1, "pub-editor", "APPROVED", HEAD, "2026-03-01T08:01:00Z")]
    verdict = judge(pr, [need], reviews, lambda team: frozenset({"pub-editor", "pub-chief"}), ApprovalRules())
    assert not verdict.approved and verdict.results[0].approved_by == ()
    assert verdict.results[0].can_approve == ("pub-chief",)


def test_approval_from_a_non_member(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "cs-dean", "APPROVED", HEAD)  # a reviewer, but of another department
    code, report = approvals(repo, capsys)
    assert code == 1 and all(by == [] for by, _ in stages(report).values())


def test_dismissed_review(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    review = github.add_review(1, "pub-chief", "APPROVED", HEAD)
    github.dismiss_review(1, review)
    code, _ = approvals(repo, capsys)
    assert code == 1


def test_changes_requested_blocks_the_stage(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    github.add_review(1, "pub-editor", "CHANGES_REQUESTED", OLD)  # still outstanding on GitHub
    github.add_review(1, "pub-editor", "COMMENTED", HEAD)  # a comment does not withdraw it
    code, report = approvals(repo, capsys)
    assert code == 1
    blocked = {s["name"]: s["blocked_by"] for s in report["stages"]}
    assert blocked == {"部门负责人审核(党委宣传部)": ["pub-editor"], "党委宣传部审核": ["pub-editor"]}


def test_a_pull_request_that_drops_a_stage_is_judged_by_the_base_policy(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    lowered = (PROJECT / "policies.yaml").read_text(encoding="utf-8").replace("extra_stages: [leadership]", "extra_stages: []")
    pull(github, ("policies.yaml", "modified", None), (NOTICE, "added", None))
    github.set_file(HEAD, "policies.yaml", lowered.encode())
    github.set_file(HEAD, NOTICE, article("通知公告"))
    for user in ("aa-head", "pub-chief"):
        github.add_review(1, user, "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    names = [s["name"] for s in report["stages"]]
    assert code == 1 and "校领导审批" in names  # the base policy still asks for it
    assert "党委宣传部审核(制度、流程与代码)" in names  # and changing the policy needs the governing body


def test_a_pull_request_that_edits_codeowners_needs_the_governing_body(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (".github/CODEOWNERS", "modified", None))
    code, report = approvals(repo, capsys)
    assert code == 1
    assert [(s["name"], s["teams"], s["paths"]) for s in report["stages"]] == [
        ("党委宣传部审核(制度、流程与代码)", ["@jcu-media/publicity"], [".github/CODEOWNERS"])]
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    assert approvals(repo, capsys)[0] == 0


def test_an_article_moved_into_another_department(repo: Path, github: FakeGitHub,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    moved = "content/official/academic-affairs/2026-10-20-sports-day/index.md"
    pull(github, (moved, "renamed", NEWS))
    github.set_file(HEAD, moved, article())
    github.set_file("b" * 40, NEWS, article())
    code, report = approvals(repo, capsys)
    names = [s["name"] for s in report["stages"]]
    assert code == 1
    assert "部门负责人审核(教务处)" in names  # the department it moves into
    assert "党委宣传部审核(撤回文章)" in names  # and the operator, since the old one goes away


def test_a_retraction_needs_the_account_operator(repo: Path, github: FakeGitHub,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (YOUTH, "modified", None))
    github.set_file("b" * 40, YOUTH, article("学生活动"))
    github.set_file(HEAD, YOUTH, article("学生活动", retracted=True))
    github.add_review(1, "su-chair", "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 1
    assert stages(report)["校团委审核(撤回文章)"] == ([], False)
    github.add_review(1, "league-secretary", "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 1  # the operator's team also holds the league stage: one person meets one of them
    github.add_review(1, "league-deputy", "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 0
    assert sorted(stages(report)["校团委审核(撤回文章)"][0] + stages(report)["校团委审核"][0]) == [
        "league-deputy", "league-secretary"]


def test_a_pull_request_touching_two_accounts(repo: Path, github: FakeGitHub,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None), (YOUTH, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.set_file(HEAD, YOUTH, article("学生活动"))
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 1
    assert stages(report) == {"部门负责人审核(党委宣传部)": (["pub-chief"], True),
                              "部门负责人审核(校学生会)": ([], False),
                              "党委宣传部审核": ([], False),
                              "校团委审核": ([], False)}
    assert [s["waiting"] for s in report["stages"]] == [False, False, True, True]  # in order, across the PR
    for user in ("su-chair", "pub-editor", "league-secretary"):
        github.add_review(1, user, "APPROVED", HEAD)
    assert approvals(repo, capsys)[0] == 0


def test_unreadable_team_membership_is_said_not_guessed(repo: Path, github: FakeGitHub,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    # the approvals job's GITHUB_TOKEN alone (no App, no WXPUB_FORGE_TOKEN): no organisation permission
    monkeypatch.delenv("WXPUB_FORGE_TOKEN")
    monkeypatch.setenv("GITHUB_TOKEN", github_token(github, APPROVALS, "approvals"))
    code = main(["--root", str(repo), "approvals", "--pr", "1", "--status"])
    err = capsys.readouterr().err
    assert code == 2 and "read:org" in err and "Traceback" not in err
    assert [s["state"] for s in github.statuses] == ["error"]


def test_summary_table_in_chinese(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "aa-head", "APPROVED", HEAD)
    main(["--root", str(repo), "approvals", "--pr", "1", "--summary"])
    text = summary.read_text(encoding="utf-8")
    assert "| 审批阶段 | 负责团队 | 已批准 | 状态 | 涉及文件 |" in text
    assert "| 部门负责人审核(教务处) | @jcu-media/academic-affairs | aa-head | ✅ 已通过 |" in text
    assert "每人的批准只计入一个阶段;各阶段按顺序审批,批准须在前面的阶段完成之后提交。" in text
    assert "| 党委宣传部审核 | @jcu-media/publicity | — | 还需 1 人批准(可审批:pub-chief、pub-editor) |" in text
    assert "| 校领导审批 | @jcu-media/leadership | — | ⏸ 等待前面的阶段完成 |" in text
    github.add_review(1, "pub-editor", "APPROVED", HEAD)
    github.add_review(1, "vice-president", "APPROVED", HEAD)
    summary.unlink()
    main(["--root", str(repo), "approvals", "--pr", "1", "--summary"])
    text = summary.read_text(encoding="utf-8")
    assert "审批已完成" in text and "| 校领导审批 | @jcu-media/leadership | vice-president | ✅ 已通过 |" in text


def _summary(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    summary = tmp_path / "summary.md"
    summary.unlink(missing_ok=True)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    main(["--root", str(repo), "approvals", "--pr", "1", "--summary"])
    return summary.read_text(encoding="utf-8")


def test_the_summary_gives_the_preview_comment_for_the_head(repo: Path, github: FakeGitHub, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The line to copy names everyone who may receive the changed articles' previews and the
    head by its whole sha; wechat-preview.yml, run as the job runs it, sends exactly that head."""
    head = "0123abcd" * 5
    github.add_pull(1, "editor-li", head, base_sha="b" * 40,
                    files=[(NOTICE, "added", None), ("content/official/academic-affairs/2026-10-21-exam-notice/a.jpg",
                                                     "added", None)])
    github.set_file(head, NOTICE, article("通知公告"))
    text = _summary(repo, tmp_path, monkeypatch)
    blocks = [b for b in text.split("```") if b.startswith("\n/preview")]
    assert blocks == [f"\n/preview 张三 李四 @{head}\n"], text
    assert "`0123abc`" in text
    code, output, log, replies = comment_on_pull(tmp_path / "job", blocks[0].strip(), head)
    assert code == 0 and replies == [] and output.splitlines() == [f"sha={head}", "to=张三 李四"], log


@pytest.mark.parametrize("files", [[(YOUTH, "added", None)], [("policies.yaml", "modified", None)], []])
def test_no_preview_comment_where_nobody_could_receive_one(repo: Path, github: FakeGitHub, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           files: list[tuple[str, str, str | None]]) -> None:
    """The youth account lists no previewers; a policy change has no article; an empty pull
    request cannot be judged: none offers a line that could only be refused."""
    pull(github, *files)
    for path, _, _ in files:
        github.set_file(HEAD, path, article())
    text = _summary(repo, tmp_path, monkeypatch)
    assert "/preview" not in text and "## 合并请求 #1" in text


def test_no_preview_comment_for_a_pull_request_into_another_branch(repo: Path, github: FakeGitHub, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """wechat-preview.yml refuses a pull request into any branch but the default one (its head
    holds that branch's unreviewed commits): the summary offers no line that could only be refused."""
    head = "0123abcd" * 5
    github.add_pull(1, "editor-li", head, base_sha="b" * 40, base_ref="staging", files=[(NOTICE, "added", None)])
    github.set_file(head, NOTICE, article("通知公告"))
    text = _summary(repo, tmp_path, monkeypatch)
    assert "/preview" not in text and "## 合并请求 #1" in text


def test_make_repo_is_the_base_checkout(tmp_path: Path) -> None:
    # The checker reads the policy from the working tree: the base branch's, never the PR's
    root = make_repo(tmp_path)
    assert (root / "policies.yaml").read_text(encoding="utf-8") == (PROJECT / "policies.yaml").read_text(encoding="utf-8")


# -- the file list: empty, cut off at 3,000, changed under our feet -----------------------------


def test_an_empty_pull_request_is_an_error_not_an_approval(repo: Path, github: FakeGitHub,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    pull(github)
    for user in ("pub-chief", "pub-editor", "aa-head", "vice-president"):
        github.add_review(1, user, "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status", "--request-next")
    assert code == 1 and report["approved"] is False and report["stages"] == []
    assert "没有改动任何文件" in report["problem"]
    [status] = github.statuses
    assert status["state"] == "error" and "没有改动任何文件" in status["description"]
    assert github.review_requests == []


@pytest.mark.parametrize("extra", [3000, 3001, 4500])
def test_a_file_list_cut_off_by_github_is_an_error(repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str],
                                                  extra: int) -> None:
    # The article that needs a school leader is listed last, beyond GitHub's 3,000 files
    docs = [(f"docs/notes/page-{i:04d}.md", "added", None) for i in range(extra)]
    pull(github, *docs, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    for user in ("pub-chief", "pub-editor", "aa-head"):
        github.add_review(1, user, "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status")
    assert code == 1 and report["approved"] is False
    assert f"改动了 {extra + 1} 个文件" in report["problem"] and "3000" in report["problem"]
    assert "拆" in report["problem"]
    assert github.statuses[-1]["state"] == "error"


def test_a_file_list_of_exactly_3000_is_complete(repo: Path, github: FakeGitHub,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, *[(f"docs/notes/page-{i:04d}.md", "added", None) for i in range(3000)])
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    code, report = approvals(repo, capsys, "--status")
    assert code == 0 and report["problem"] is None
    assert [(s["name"], len(s["paths"])) for s in report["stages"]] == [("党委宣传部审核(制度、流程与代码)", 3000)]
    assert github.statuses[-1]["state"] == "success"


def test_a_push_while_the_files_are_listed_is_an_error(repo: Path, github: FakeGitHub,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # Listed for one head, read and judged for another: the file list may not be the head's
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    github.add_review(1, "pub-editor", "APPROVED", HEAD)
    newer = "n" * 40
    github.after_next("GET", "/repos/jcu-media/site/pulls/1/files",
                      lambda: github.push(1, newer, files=[(NEWS, "added", None), (NOTICE, "added", None)]))
    code, report = approvals(repo, capsys, "--status")
    assert code == 1 and "新的推送" in report["problem"]
    assert [(s["sha"], s["state"]) for s in github.statuses] == [(HEAD, "error")]


# -- one person, one stage --------------------------------------------------------------------


def test_one_person_in_two_teams_counts_for_one_stage(tmp_path: Path, github: FakeGitHub,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = policy(tmp_path, one_stage_per_reviewer=True, ordered=False)
    github.set_team("jcu-media", "publicity", ["pub-chief", "vice-president"])  # also a school leader
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "aa-head", "APPROVED")
    github.add_review(1, "vice-president", "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 1
    assert stages(report) == {"部门负责人审核(教务处)": (["aa-head"], True), "党委宣传部审核": (["vice-president"], True),
                              "校领导审批": ([], False)}
    assert not_counted(report) == {"校领导审批": [("vice-president", "已计入「党委宣传部审核」,每人的批准只计入一个阶段")]}
    # a second publicity reviewer frees the vice-president for the stage only a leader can meet
    github.add_review(1, "pub-chief", "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 0
    assert stages(report) == {"部门负责人审核(教务处)": (["aa-head"], True), "党委宣传部审核": (["pub-chief"], True),
                              "校领导审批": (["vice-president"], True)}


def test_a_policy_may_let_one_approval_meet_several_stages(tmp_path: Path, github: FakeGitHub,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = policy(tmp_path, one_stage_per_reviewer=False, ordered=False)
    github.set_team("jcu-media", "publicity", ["pub-chief", "vice-president"])
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "aa-head", "APPROVED")
    github.add_review(1, "vice-president", "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 0 and stages(report)["校领导审批"] == (["vice-president"], True)
    assert stages(report)["党委宣传部审核"] == (["vice-president"], True)


def test_two_approvals_needed_from_a_team_whose_members_also_serve_elsewhere(
        tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    # min_approvals: 2 for the leadership stage; the matching keeps two leaders for it
    text = edited_policy(("    department: leadership\n", "    department: leadership\n    min_approvals: 2\n"),
                         ("  ordered: true ", "  ordered: false"))
    root = make_repo(tmp_path, policies=text)
    github.set_team("jcu-media", "leadership", ["president", "vice-president"])
    github.set_team("jcu-media", "publicity", ["pub-chief", "vice-president"])
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    for user in ("aa-head", "vice-president", "president"):
        github.add_review(1, user, "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 1  # three people for four approvals
    assert sum(ok for _, ok in stages(report).values()) == 2
    github.add_review(1, "pub-chief", "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 0
    assert stages(report)["校领导审批"] == (["president", "vice-president"], True)
    assert stages(report)["党委宣传部审核"] == (["pub-chief"], True)


# -- team membership --------------------------------------------------------------------------


def test_a_child_team_member_counts_for_the_parent_teams_stage(repo: Path, github: FakeGitHub,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # GitHub lists the members of child teams as members of the parent: they are in the team
    github.set_team("jcu-media", "leadership-office", ["secretary-wang"], parent="leadership")
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "aa-head", "APPROVED")
    github.add_review(1, "pub-editor", "APPROVED")
    code, report = approvals(repo, capsys)
    assert code == 1
    [leadership] = [s for s in report["stages"] if s["name"] == "校领导审批"]
    assert leadership["can_approve"] == ["secretary-wang", "vice-president"]  # who could still approve: both
    github.add_review(1, "secretary-wang", "APPROVED")
    code, report = approvals(repo, capsys)
    assert code == 0 and stages(report)["校领导审批"] == (["secretary-wang"], True)


def test_a_parent_team_member_does_not_count_for_a_child_teams_stage(
        tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    text = edited_policy(('reviewers: ["@jcu-media/leadership"]', 'reviewers: ["@jcu-media/leadership-office"]'))
    root = make_repo(tmp_path, policies=text)
    github.set_team("jcu-media", "leadership-office", ["secretary-wang"], parent="leadership")
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    for user in ("aa-head", "pub-editor", "vice-president"):
        github.add_review(1, user, "APPROVED")
    code, report = approvals(root, capsys)
    assert code == 1 and stages(report)["校领导审批"] == ([], False)


# -- stages in order ----------------------------------------------------------------------------


def test_ordered_stages_approved_out_of_order(repo: Path, github: FakeGitHub,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (YOUTH, "added", None))
    github.set_file(HEAD, YOUTH, article("学生活动"))
    github.add_review(1, "league-secretary", "APPROVED")  # 校团委 before the department (A7 says after)
    github.add_review(1, "su-chair", "APPROVED")
    code, report = approvals(repo, capsys, "--status")
    assert code == 1
    assert stages(report) == {"部门负责人审核(校学生会)": (["su-chair"], True), "校团委审核": ([], False)}
    assert not_counted(report) == {"校团委审核": [("league-secretary", "批准早于前一阶段完成,须在前一阶段完成后重新批准")]}
    github.add_review(1, "league-secretary", "APPROVED")  # approving again, now after the department
    code, report = approvals(repo, capsys, "--status")
    assert code == 0 and stages(report)["校团委审核"] == (["league-secretary"], True)


def test_out_of_order_approvals_count_when_the_policy_does_not_order_stages(
        tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    root = policy(tmp_path, one_stage_per_reviewer=True, ordered=False)
    pull(github, (YOUTH, "added", None))
    github.set_file(HEAD, YOUTH, article("学生活动"))
    github.add_review(1, "league-secretary", "APPROVED")
    github.add_review(1, "su-chair", "APPROVED")
    assert approvals(root, capsys)[0] == 0


def test_a_later_stage_waits_and_its_early_approval_is_named(repo: Path, github: FakeGitHub,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NOTICE, "added", None))
    github.set_file(HEAD, NOTICE, article("通知公告"))
    github.add_review(1, "vice-president", "APPROVED")  # the leader first
    github.add_review(1, "aa-head", "APPROVED")
    code, report = approvals(repo, capsys, "--request-next")
    assert code == 1
    assert [(s["name"], s["satisfied"], s["waiting"]) for s in report["stages"]] == [
        ("部门负责人审核(教务处)", True, False), ("党委宣传部审核", False, False), ("校领导审批", False, True)]
    assert not_counted(report)["校领导审批"] == [("vice-president", "前面的阶段尚未完成,须在其完成后再批准")]
    assert github.review_requests == [(1, ["publicity"])]  # the next stage in order, not the leader
    github.add_review(1, "pub-chief", "APPROVED")
    assert approvals(repo, capsys)[0] == 1  # the leader's approval still predates 党委宣传部
    github.add_review(1, "vice-president", "APPROVED")
    assert approvals(repo, capsys)[0] == 0


def test_a_pending_review_counts_from_when_it_is_submitted(repo: Path, github: FakeGitHub,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (YOUTH, "added", None))
    github.set_file(HEAD, YOUTH, article("学生活动"))
    as_secretary = Github(auth=Auth.Token(github.token_for("league-secretary")), base_url=github.url, lazy=True,
                          retry=None)
    draft = as_secretary.get_repo(github.repo).get_pull(1).create_review(body="先看看")  # pending: nobody else sees it
    github.add_review(1, "su-chair", "APPROVED")
    code, report = approvals(repo, capsys)
    assert code == 1 and stages(report)["校团委审核"] == ([], False) and not_counted(report) == {}
    github.submit_review(1, draft.id, "APPROVE")  # created before the department approved, submitted after
    code, report = approvals(repo, capsys)
    assert code == 0 and stages(report)["校团委审核"] == (["league-secretary"], True)


def test_the_governing_stage_is_outside_the_order(repo: Path, github: FakeGitHub,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, ("policies.yaml", "modified", None), (YOUTH, "added", None))
    github.set_file(HEAD, YOUTH, article("学生活动"))
    github.add_review(1, "pub-chief", "APPROVED")  # the governing body, before anyone else
    github.add_review(1, "su-chair", "APPROVED")
    github.add_review(1, "league-secretary", "APPROVED")
    code, report = approvals(repo, capsys)
    assert code == 0
    assert stages(report)["党委宣传部审核(制度、流程与代码)"] == (["pub-chief"], True)


# -- articles that cannot be read need every stage they could need -------------------------------

EVERY_OFFICIAL_STAGE = {"部门负责人审核(党委宣传部)", "党委宣传部审核", "校领导审批"}
VALID = article().decode()
UNREADABLE = {
    "impossible date": VALID.replace("title: 标题\n", "title: 标题\ndate: 2026-02-30\n"),
    "deep nesting": VALID.replace("title: 标题\n", "title: 标题\nextra: " + "[" * 5000 + "]" * 5000 + "\n"),
    "deep mapping": VALID.replace("title: 标题\n", "title: 标题\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(1200))),
    "python tag": VALID.replace("title: 标题\n", "title: !!python/object:os.system 标题\n"),
    "unclosed quote": VALID.replace("title: 标题\n", 'title: "标题\n'),
    "byte order mark": "\ufeff" + article("通知公告").decode(),
    "CRLF line endings": article("通知公告").decode().replace("\n", "\r\n"),
    "no front matter": "# 通知\n\n正文。\n",
    "empty file": "",
    "front matter is a list": "---\n- category: 学校新闻\n---\n正文\n",
    "category is a list": article().decode().replace("category: 学校新闻", "category: [通知公告]"),
    "category with a zero-width space": article().decode().replace("学校新闻", "通知\u200b公告"),
    "category missing": article().decode().replace("category: 学校新闻\n", ""),
    "category of another school": article().decode().replace("学校新闻", "紧急通知"),
}


@pytest.mark.parametrize("text", list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_an_article_that_cannot_be_read_needs_every_stage(repo: Path, github: FakeGitHub,
                                                          capsys: pytest.CaptureFixture[str], text: str) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, text.encode())
    code, report = approvals(repo, capsys, "--status")
    assert code == 1 and report["problem"] is None
    assert {s["name"] for s in report["stages"]} == EVERY_OFFICIAL_STAGE
    assert github.statuses[-1]["state"] == "failure"


def test_an_article_that_is_not_utf8_needs_every_stage(repo: Path, github: FakeGitHub,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article("通知公告").decode().encode("gb18030"))
    code, report = approvals(repo, capsys)
    assert code == 1 and {s["name"] for s in report["stages"]} == EVERY_OFFICIAL_STAGE


def test_an_edit_of_an_unreadable_article_may_be_a_retraction(repo: Path, github: FakeGitHub,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "modified", None))
    github.set_file("b" * 40, NEWS, article())
    github.set_file(HEAD, NEWS, UNREADABLE["impossible date"].encode())
    code, report = approvals(repo, capsys)
    assert code == 1
    assert {s["name"] for s in report["stages"]} == EVERY_OFFICIAL_STAGE | {"党委宣传部审核(撤回文章)"}


def test_moving_out_of_an_unreadable_base_version_needs_every_category_stage(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "modified", None))
    github.set_file("b" * 40, NEWS, UNREADABLE["deep nesting"].encode())
    github.set_file(HEAD, NEWS, article())
    code, report = approvals(repo, capsys)
    assert code == 1 and {s["name"] for s in report["stages"]} == EVERY_OFFICIAL_STAGE


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../outside.md"])
def test_an_index_md_that_is_a_symlink_out_of_the_repository_needs_every_stage(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str], target: str) -> None:
    pull(github, (NEWS, "added", None))
    github.set_symlink(HEAD, NEWS, target)
    code, report = approvals(repo, capsys)
    assert code == 1 and {s["name"] for s in report["stages"]} == EVERY_OFFICIAL_STAGE


def test_an_index_md_that_is_a_symlink_to_a_file_is_read_as_that_file(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    # GitHub answers with the target's content, as the publisher would read it
    pull(github, (NEWS, "added", None), ("docs/notice.md", "added", None))
    github.set_file(HEAD, "docs/notice.md", article("通知公告"))
    github.set_symlink(HEAD, NEWS, "../../../../docs/notice.md")
    code, report = approvals(repo, capsys)
    assert code == 1 and EVERY_OFFICIAL_STAGE <= {s["name"] for s in report["stages"]}


# -- the class, not the examples: approvals never asks less than the publisher reads ------------

LINES = ["title: 标题", "author: 王芳", "cover: cover.jpg", "original: true", "retracted: true", "retracted: yes",
         "retracted: 'true'", "republish: true", "date: 2026-02-30", "date: 2026-02-28", "category: 通知公告",
         "category: 学校新闻", "extra: [[[[1]]]]", "note: |", "  ---", "---", "...", "  category: 政策法规",
         "a: &x 通知公告", "category: *x", "<<: {category: 通知公告}", "title: \"标题", "\t", "# category: 通知公告", ""]
CATEGORIES = ["学校新闻", "通知公告", "政策法规", "学生活动", "通知\u200b公告", "通知公告 ", "'通知公告'", '"政策法规"',
              "!!str 通知公告", "[通知公告]", "{a: 通知公告}", "", "~", "通知公告 # 注释", "ＴＺ通知公告"]


@st.composite
def index_md(draw: st.DrawFn) -> bytes:
    """index.md texts near the valid one: each piece an editor or an attacker might write."""
    lines = ["title: 标题", f"category: {draw(st.sampled_from(CATEGORIES))}"]
    lines += draw(st.lists(st.sampled_from(LINES), max_size=6))
    lines = draw(st.permutations(lines))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))
    opening = draw(st.sampled_from(["---", "---", "--- ", "\ufeff---", "----", ""]))
    body = draw(st.sampled_from(["正文。", "招生计划", "招生**计划**", "---\ncategory: 通知公告\n---", ""]))
    text = newline.join([opening, *lines, "---", "", body])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "gb18030"]))
    return text.encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def sample_policies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Policies]:
    root = make_repo(tmp_path_factory.mktemp("property"))
    return root, load_policies(root)


def _needed(policies: Policies, new: bytes | None, old: bytes | None) -> set[str]:
    files = [ChangedFile(NEWS, None, "modified" if old is not None else "added")]
    needs = stages_needed(policies, files, lambda p: new if p == NEWS else None, lambda p: old if p == NEWS else None)
    return {need.stage for need in needs}


def _publisher_view(root: Path, data: bytes) -> Article | None:
    """The article as the publisher reads it (content.load_article from the working tree)."""
    index = root / NEWS
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(data)
    loaded = load_article(WorkTree(root), PurePosixPath(NEWS))
    return loaded if isinstance(loaded, Article) else None


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(new=st.one_of(index_md(), st.binary(max_size=300)), old=st.one_of(st.none(), index_md()))
def test_approvals_never_need_less_than_the_publisher_reads(sample_policies: tuple[Path, Policies],
                                                           new: bytes, old: bytes | None) -> None:
    root, policies = sample_policies
    needed = _needed(policies, new, old)
    assert {"department", "publicity"} <= needed  # the account's stages, always
    for data in filter(None, (new, old)):
        seen = _publisher_view(root, data)
        if seen is None:
            continue
        category = seen.front_matter.get("category")
        if isinstance(category, str) and category in policies.categories:
            assert set(policies.categories[category].extra_stages) <= needed, category
        if data is new and old is not None and seen.front_matter.get("retracted") is True:
            assert "retraction" in needed


def test_the_summary_of_a_pull_request_that_cannot_be_judged(repo: Path, github: FakeGitHub,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    pull(github)
    code = main(["--root", str(repo), "approvals", "--pr", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("## 合并请求 #1 的分级审批:❌ 无法判定\n\n合并请求 #1 没有改动任何文件")



def test_a_forge_failure_during_the_check_leaves_an_error_status(repo: Path, github: FakeGitHub,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.after_next("GET", "/repos/jcu-media/site/pulls/1/files",
                      lambda: github.fail_next(403, message="Resource not accessible by integration"))
    code = main(["--root", str(repo), "approvals", "--pr", "1", "--status"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "403" in err
    [status] = github.statuses
    assert (status["sha"], status["state"]) == (HEAD, "error") and status["description"].startswith("审批检查未能完成")


# -- the matching, as a class: against brute force, and ordered never laxer than unordered ------

PEOPLE = ["ann", "bob", "cho", "dan", "eve"]


@st.composite
def panels(draw: st.DrawFn) -> tuple[list[StageNeed], dict[str, frozenset[str]], list[Review]]:
    """A few stages (teams drawn from five people, some needing two approvals) and approvals."""
    needs = []
    teams: dict[str, frozenset[str]] = {}
    for i in range(draw(st.integers(1, 4))):
        team = f"@org/t{i}"
        teams[team] = frozenset(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True)))
        needs.append(StageNeed(f"s{i}", f"阶段{i}", f"d{i}", (team,), draw(st.integers(1, 2)), ("x",),
                               draw(st.integers(0, 2))))
    needs.sort(key=lambda need: need.step or 0)
    approvers = draw(st.lists(st.sampled_from(PEOPLE), max_size=8))
    reviews = [Review(k, user, "APPROVED", HEAD, f"2026-03-01T08:{k:02d}:00Z") for k, user in enumerate(approvers)]
    return needs, teams, reviews


def _best_possible(needs: list[StageNeed], teams: dict[str, frozenset[str]], approvers: set[str]) -> int:
    """The most stages one-approval-per-person can meet, by trying every assignment."""
    people = sorted(approvers)
    best = 0
    for choice in itertools.product(range(len(needs) + 1), repeat=len(people)):
        counts = [0] * len(needs)
        for person, stage in zip(people, choice):
            if stage < len(needs) and person in teams[needs[stage].teams[0]]:
                counts[stage] += 1
        best = max(best, sum(count >= need.min_approvals for count, need in zip(counts, needs)))
    return best


@settings(max_examples=300, deadline=None)
@given(panel=panels())
def test_the_matching_meets_as_many_stages_as_any_assignment_could(
        panel: tuple[list[StageNeed], dict[str, frozenset[str]], list[Review]]) -> None:
    needs, teams, reviews = panel
    pr = PullRequest(1, "author", HEAD, "b" * 40, "main", False, None, "open", "", 1)
    verdict = judge(pr, needs, reviews, teams.__getitem__, ApprovalRules(one_stage_per_reviewer=True, ordered=False))
    counted = [user for r in verdict.results for user in r.approved_by]
    assert len(counted) == len(set(counted))  # one stage per person
    for result in verdict.results:
        assert set(result.approved_by) <= teams[result.need.teams[0]] & {r.user for r in reviews}
        assert len(result.approved_by) <= result.need.min_approvals
    met = sum(r.satisfied for r in verdict.results)
    assert met == _best_possible(needs, teams, {r.user for r in reviews})


@settings(max_examples=300, deadline=None)
@given(panel=panels(), one_per_reviewer=st.booleans())
def test_ordered_stages_are_never_laxer_and_in_order_approvals_lose_nothing(
        panel: tuple[list[StageNeed], dict[str, frozenset[str]], list[Review]], one_per_reviewer: bool) -> None:
    needs, teams, reviews = panel
    pr = PullRequest(1, "author", HEAD, "b" * 40, "main", False, None, "open", "", 1)

    def verdict(ordered: bool, given: list[Review]) -> bool:
        return judge(pr, needs, given, teams.__getitem__, ApprovalRules(one_per_reviewer, ordered)).approved

    if verdict(True, reviews):
        assert verdict(False, reviews)
    # the same approvals submitted stage by stage: every step's after the step before it
    in_order = []
    for step in sorted({n.step for n in needs}):
        members = {u for n in needs if n.step == step for u in teams[n.teams[0]]}
        for review in reviews:
            if review.user in members:
                in_order.append(Review(len(in_order), review.user, "APPROVED", HEAD,
                                       f"2026-03-01T09:{len(in_order):02d}:00Z"))
    if verdict(False, reviews):
        assert verdict(True, in_order)
