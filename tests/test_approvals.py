"""Staged approvals: real Git repos, the real forge client over HTTP to a fake GitHub.

The sample policy counts each person's approval for one stage and orders the stages
(`approvals: {one_stage_per_reviewer: true, ordered: true}`); `policy(...)` makes a
repository with either switched off, for the neighbouring cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from github import Auth, Github, GithubException

from pipeline.approvals import StageNeed, judge
from pipeline.cli import main
from pipeline.forge import PullRequest, Review
from pipeline.policies import ApprovalRules
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, make_repo

HEAD, OLD = "h" * 40, "o" * 40
NEWS = "content/official/publicity/2026-10-20-sports-day/index.md"
NOTICE = "content/official/academic-affairs/2026-10-21-exam-notice/index.md"
YOUTH = "content/youth/student-union/2026-10-22-club-fair/index.md"
TEAMS = {"publicity": ["pub-chief", "pub-editor"], "academic-affairs": ["aa-head"], "leadership": ["vice-president"],
         "youth-league": ["league-secretary", "league-deputy"], "student-union": ["su-chair"], "cs-college": ["cs-dean"]}


def article(category: str = "学校新闻", **extra: Any) -> bytes:
    fm = {"title": "标题", "author": "王芳", "category": category, "cover": "cover.jpg", "original": True, **extra}
    return ("---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n\n正文。\n").encode()


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in TEAMS.items():
            fake.set_team("jcu-media", slug, members)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        yield fake


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


def policy(tmp_path: Path, **approvals: bool) -> Path:
    """A repository whose policy sets `approvals:` to `approvals` instead of the sample's."""
    text = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert "approvals" in data
    start = text.index("\napprovals:\n")
    end = text.index("\n\n", start + 1)
    lines = "".join(f"\n  {key}: {'true' if value else 'false'}" for key, value in approvals.items())
    return make_repo(tmp_path / "custom", policies=text[:start] + "\napprovals:" + lines + text[end:])


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
    [publicity] = [s for s in report["stages"] if s["name"] == "党委宣传部审核"]
    assert github.statuses[-1]["state"] == "failure" and "党委宣传部审核" in github.statuses[-1]["description"]
    assert publicity["satisfied"] is False


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
    [publicity] = [s for s in report["stages"] if s["name"] == "党委宣传部审核"]
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
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    pull(github, (NEWS, "added", None))
    github.set_file(HEAD, NEWS, article())
    github.add_review(1, "pub-chief", "APPROVED", HEAD)
    github.deny_members = True  # what a plain GITHUB_TOKEN gets
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


def test_make_repo_is_the_base_checkout(tmp_path: Path) -> None:
    # The checker reads the policy from the working tree: the base branch's, never the PR's
    root = make_repo(tmp_path)
    assert (root / "policies.yaml").read_text(encoding="utf-8") == (PROJECT / "policies.yaml").read_text(encoding="utf-8")


def test_publish_checks_the_merged_pull_request(github: FakeGitHub, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.commands.publish import SANDBOX_LEDGER_REF
    from pipeline.ledger import Ledger
    from pipeline.sandbox import start_in_thread
    from tests.testing.fixtures import commit_all, write_article

    root = make_repo(tmp_path)
    write_article(root)  # content/official/publicity/2026-10-20-sports-day
    reviewed = commit_all(root, "merged through PR #1")
    write_article(root, slug="2026-10-21-pushed", front_matter={"title": "直接推送的文章"})
    commit_all(root, "pushed straight to main")
    github.add_pull(1, "editor-li", reviewed, merged=True, merge_commit_sha=reviewed,
                    files=[(NEWS, "added", None)])
    github.set_file(reviewed, NEWS, (root / NEWS).read_bytes())
    github.add_review(1, "pub-chief", "APPROVED", reviewed)
    github.add_review(1, "pub-editor", "APPROVED", reviewed)
    github.link_commit(reviewed, 1)
    server, url = start_in_thread(tmp_path / "sandbox.sqlite3")
    try:
        code = main(["--root", str(root), "publish", "--sandbox-url", url, "--now", "2026-11-25 12:30",
                     "--require-approvals", "--format", "json"])
    finally:
        server.shutdown()
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [i["path"] for i in report["published"]] == [NEWS]
    [refused] = report["failed"]
    assert refused["path"].endswith("2026-10-21-pushed/index.md") and "没有经过合并请求" in refused["message"]
    [published] = Ledger.open(root, ref=SANDBOX_LEDGER_REF).published()
    assert published.data["approved_by"] == ["pub-chief", "pub-editor"]
