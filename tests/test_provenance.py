"""Publishing that proves what it publishes (pipeline/provenance.py), end to end.

Real Git repositories whose pull requests are merged by git itself (merge commit, squash,
rebase), direct pushes made the same way, the fake GitHub over HTTP told about each merge as
GitHub records it (`merge_from_git`), the real forge client, and the WeChat sandbox. Each
test is one way an article, a retraction or a change to what renders every article could
reach WeChat without the approvals the policy demands, or its legitimate neighbour.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

import pygit2
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.forge import GitHubForge
from pipeline.ledger import Ledger
from pipeline.provenance import Provenance
from pipeline.sandbox import start_in_thread
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, commit_all, git, make_repo, write_article
from tests.testing.publishing import world
from tests.testing.workflow_tokens import publish_token

LUNCH, NEXT_LUNCH = "2026-11-25 12:30", "2026-11-26 12:30"  # inside every sample account's window
NEWS = "content/official/publicity/2026-10-20-sports-day/index.md"
NOTICE_BUNDLE = "content/official/academic-affairs/2026-10-21-exam-notice"
CAMP_BUNDLE = "content/youth/student-union/2026-10-22-club-fair"
TEAMS = {"publicity": ["pub-chief", "pub-editor", "pub-operator"], "academic-affairs": ["aa-head"], "leadership": ["vice-president"],
         "youth-league": ["league-secretary"], "student-union": ["su-chair"], "cs-college": ["cs-dean"],
         "attackers": ["mallory"]}
# One person's approval meets one stage (the sample policy's approvals: one_stage_per_reviewer),
# so the publicity department's own stage and the 党委宣传部 stage need two of its members
NEWS_APPROVERS = ("pub-chief", "pub-editor")
POLICY = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
LOWERED = POLICY.replace("extra_stages: [leadership]                    # dept", "extra_stages: []  # dept")

Change = Callable[[Path], None]


def news(root: Path) -> None:
    write_article(root)


def notice(root: Path) -> None:  # 通知公告 needs a school leader's stage too
    write_article(root, department="academic-affairs", slug="2026-10-21-exam-notice",
                  front_matter={"title": "期末考试安排", "category": "通知公告"})


def camp(root: Path, **extra: Any) -> None:  # the youth account: operator 校团委, stages 学生会 → 校团委
    write_article(root, account="youth", department="student-union", slug="2026-10-22-club-fair",
                  front_matter={"title": "社团招新", "category": "学生活动", **extra})


def policy(text: str) -> Change:
    return lambda root: (root / "policies.yaml").write_text(text, encoding="utf-8")


def delete(bundle: str) -> Change:
    return lambda root: shutil.rmtree(root / bundle)


class History:
    """A content repository whose pull requests git merges and the fake GitHub records."""

    def __init__(self, root: Path, github: FakeGitHub) -> None:
        self.root = root
        self.github = github
        self.numbers: list[int] = []

    def push(self, *changes: Change, message: str = "pushed straight to main") -> str:
        """A direct push to main: one commit per change, no pull request."""
        for change in changes:
            change(self.root)
            commit_all(self.root, message)
        return git(self.root, "rev-parse", "HEAD")

    def branch(self, *changes: Change) -> tuple[str, str]:
        """A pull request's branch off main, one commit per change: (branch name, head)."""
        name = f"pr-{len(self.numbers) + 1}"
        git(self.root, "checkout", "-q", "-b", name, "main")
        for i, change in enumerate(changes, 1):
            change(self.root)
            commit_all(self.root, f"{name}: change {i}")
        head = git(self.root, "rev-parse", "HEAD")
        git(self.root, "checkout", "-q", "main")
        return name, head

    def merge(self, name: str, *, method: str = "merge", approvers: tuple[str, ...] = (),
              author: str = "editor-li", base_sha: str | None = None) -> tuple[int, str]:
        """Merge the branch into main the way GitHub's `method` does; GitHub records the
        pull request and `approvers` approve its head. (number, merge_commit_sha)."""
        number = len(self.numbers) + 1
        self.numbers.append(number)
        head = git(self.root, "rev-parse", name)
        onto = git(self.root, "rev-parse", "main")
        if method == "merge":
            git(self.root, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from {name}", name)
        elif method == "squash":
            git(self.root, "merge", "-q", "--squash", name)
            git(self.root, "commit", "-q", "-m", f"{name} (#{number})")
        else:  # rebase: GitHub writes every commit anew on top of the base, then fast-forwards it
            git(self.root, "checkout", "-q", "-b", f"{name}-rebased", name)
            git(self.root, "rebase", "-q", "--force-rebase", "main")
            git(self.root, "checkout", "-q", "main")
            git(self.root, "merge", "-q", "--ff-only", f"{name}-rebased")
        merged = git(self.root, "rev-parse", "HEAD")
        self.github.merge_from_git(number, author, self.root, head=head, merge_commit=merged, onto=onto,
                                   base_sha=base_sha)
        for user in approvers:
            self.github.add_review(number, user, "APPROVED", head)
        return number, merged

    def pr(self, *changes: Change, method: str = "merge", approvers: tuple[str, ...] = ()) -> tuple[int, str]:
        return self.merge(self.branch(*changes)[0], method=method, approvers=approvers)


class School(History):
    """A school's content repository on the fake GitHub, and its WeChat sandbox."""

    def __init__(self, root: Path, github: FakeGitHub, sandbox: str, capsys: pytest.CaptureFixture[str],
                 trusted: str) -> None:
        super().__init__(root, github)
        self.sandbox = sandbox
        self.capsys = capsys
        self.trusted = trusted  # the commit the school adopted wxpub at

    def publish(self, *extra: str, now: str = LUNCH, trusted: str | None = None) -> tuple[int, dict[str, Any]]:
        anchor = self.trusted if trusted is None else trusted
        code = main(["--root", str(self.root), "publish", "--sandbox-url", self.sandbox, "--now", now,
                     "--format", "json", "--require-approvals", *(["--trusted-commit", anchor] if anchor else []),
                     *extra])
        out = self.capsys.readouterr()
        assert "Traceback" not in out.err, out.err
        return code, json.loads(out.out) if out.out.strip() else {"error": out.err}

    def ledger(self) -> Ledger:
        return Ledger.open(self.root, ref=SANDBOX_LEDGER_REF)


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["status"] for group in report.values() if isinstance(group, list) for item in group}


def refusal(report: dict[str, Any], path: str) -> str:
    [message] = [item["message"] for item in report["failed"] if item["path"] == path]
    return str(message)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in TEAMS.items():
            fake.set_team("jcu-media", slug, members)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", publish_token(fake))
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.delenv("WXPUB_TRUSTED_COMMIT", raising=False)
        yield fake


@pytest.fixture
def school(tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> Iterator[School]:
    """A repository whose first commit (policy, word lists, themes) the school trusts."""
    root = make_repo(tmp_path)
    (root / ".git" / "info" / "exclude").write_text(".wxpub/\n", encoding="utf-8")  # sandbox secrets
    trusted = commit_all(root, "the school adopts wxpub")
    server, url = start_in_thread(tmp_path / "sandbox.sqlite3")
    yield School(root, github, url, capsys, trusted)
    server.shutdown()


# -- approved changes go out ------------------------------------------------------------------

def test_approved_merge_commit_publishes_and_records_the_approvers(school: School) -> None:
    school.pr(news, approvers=NEWS_APPROVERS)
    code, report = school.publish()
    assert code == 0, report
    assert outcomes(report) == {NEWS: "published"}
    [entry] = school.ledger().published()
    assert entry.data["approved_by"] == list(NEWS_APPROVERS)


@pytest.mark.parametrize("method", ["squash", "rebase"])
def test_squash_and_rebase_merges_of_several_commits_publish(school: School, method: str) -> None:
    def retitle(root: Path) -> None:
        write_article(root, front_matter={"title": "学校隆重举行秋季运动会"})

    school.pr(news, retitle, method=method, approvers=NEWS_APPROVERS)
    code, report = school.publish()
    assert code == 0, report
    assert outcomes(report) == {NEWS: "published"}


def test_an_approved_change_to_the_theme_and_policy_does_not_stop_publishing(school: School) -> None:
    def theme(root: Path) -> None:
        path = root / "themes" / "classic" / "theme.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# reviewed tweak\n", encoding="utf-8")

    school.pr(theme, policy(POLICY + "\n# reviewed\n"), approvers=("pub-chief",))  # the governing body
    school.pr(news, approvers=NEWS_APPROVERS)
    code, report = school.publish()
    assert code == 0 and outcomes(report) == {NEWS: "published"}, report


# -- content that no approved pull request carried ----------------------------------------------

def test_an_article_pushed_straight_to_main_is_refused_naming_the_commit(school: School) -> None:
    pushed = school.push(news)
    code, report = school.publish()
    assert code == 1 and outcomes(report) == {NEWS: "failed"}
    message = refusal(report, NEWS)
    assert message.startswith("PROV001") and pushed[:12] in message and "直接推送" in message
    assert school.ledger().published() == []


def test_a_follow_up_push_after_the_approved_merge_is_refused(school: School) -> None:
    school.pr(news, approvers=NEWS_APPROVERS)
    edited = school.push(lambda root: write_article(root, body="改过的正文,没有人审核过。\n"))
    code, report = school.publish()
    assert code == 1 and edited[:12] in refusal(report, NEWS)
    assert school.ledger().published() == []


def test_a_conflict_resolution_that_changed_the_article_is_refused(school: School) -> None:
    school.pr(news, approvers=NEWS_APPROVERS)
    name, head = school.branch(lambda root: write_article(root, body="分支上获批准的正文。\n"))
    school.push(lambda root: write_article(root, body="与此同时 main 上的正文。\n"))  # so the merge conflicts
    onto = git(school.root, "rev-parse", "main")
    conflict = subprocess.run(["git", "-C", str(school.root), "merge", "--no-ff", name], capture_output=True)
    assert conflict.returncode != 0  # a real conflict
    write_article(school.root, body="解决冲突时写下的、谁也没有批准过的正文。\n")
    merged = commit_all(school.root, f"Merge pull request #7 from {name}")  # pushed by hand; GitHub marks #7 merged
    school.github.merge_from_git(7, "editor-li", school.root, head=head, merge_commit=merged, onto=onto)
    for user in NEWS_APPROVERS:
        school.github.add_review(7, user, "APPROVED", head)
    code, report = school.publish()
    message = refusal(report, NEWS)
    assert code == 1 and message.startswith("PROV002") and "#7" in message and head[:12] in message


def test_a_pushed_merge_commit_cannot_restore_what_the_approved_diff_never_showed(school: School) -> None:
    secret = "content/official/publicity/2026-10-19-draft/index.md"

    def add_both(root: Path) -> None:
        news(root)
        write_article(root, slug="2026-10-19-draft", front_matter={"title": "未经审核的稿件"})

    name, _ = school.branch(add_both, delete("content/official/publicity/2026-10-19-draft"))
    school.merge(name, method="squash", approvers=NEWS_APPROVERS)  # reviewers saw only the news
    first = git(school.root, "rev-parse", f"{name}~1")  # the branch commit that still had the draft
    git(school.root, "merge", "-q", "--no-ff", "-m", "restore", first)  # a real merge, pushed directly
    assert (school.root / secret).is_file()
    code, report = school.publish()
    assert outcomes(report) == {NEWS: "published", secret: "failed"}
    restore = git(school.root, "rev-parse", "HEAD")
    assert refusal(report, secret).startswith("PROV001") and restore[:12] in refusal(report, secret)


def test_a_pull_request_whose_file_list_github_cut_off_vouches_for_nothing(school: School) -> None:
    # GitHub lists at most 3,000 files: reviewers (and the check) could not see them all
    def many(root: Path) -> None:
        news(root)
        notes = root / "docs" / "notes"
        notes.mkdir(parents=True)
        for i in range(3000):
            (notes / f"page-{i:04d}.md").write_text(f"第 {i} 页\n", encoding="utf-8")

    number, _ = school.pr(many, approvers=NEWS_APPROVERS)
    code, report = school.publish()
    message = refusal(report, NEWS)
    assert code == 1 and message.startswith("PROV003") and f"#{number}" in message and "3002 个文件" in message  # index.md, cover.jpg and 3,000 pages


def test_a_pull_request_whose_files_never_showed_the_article_does_not_vouch_for_it(school: School) -> None:
    # The article arrives unreviewed inside a merge commit that GitHub attributes to an approved
    # pull request about something else: a person merged main into their branch locally with
    # extra content and pushed it as the pull request's merge.
    name, head = school.branch(lambda root: write_article(root, slug="2026-10-23-other", front_matter={"title": "另一篇"}))
    onto = git(school.root, "rev-parse", "main")
    git(school.root, "merge", "-q", "--no-ff", "--no-commit", name)
    news(school.root)
    merged = commit_all(school.root, f"Merge pull request #3 from {name}")
    school.github.merge_from_git(3, "editor-li", school.root, head=head, merge_commit=merged, onto=onto)
    for user in NEWS_APPROVERS:
        school.github.add_review(3, user, "APPROVED", head)
    code, report = school.publish()
    assert outcomes(report)["content/official/publicity/2026-10-23-other/index.md"] == "published"
    message = refusal(report, NEWS)
    assert code == 1 and message.startswith(("PROV002", "PROV004")) and "#3" in message


# -- judged by the policy in force when the pull request was merged --------------------------------

def test_a_later_approved_policy_change_does_not_make_an_old_unapproved_merge_count(school: School) -> None:
    school.pr(notice, approvers=("aa-head", "pub-chief"))  # no school leader: 通知公告 needs one
    code, report = school.publish()
    assert code == 1 and "校领导审批" in refusal(report, f"{NOTICE_BUNDLE}/index.md")
    school.pr(policy(LOWERED), approvers=("pub-chief",))  # the governing body drops the leader stage later
    code, report = school.publish(now=NEXT_LUNCH)
    message = refusal(report, f"{NOTICE_BUNDLE}/index.md")
    assert code == 1 and message.startswith("PROV003") and "校领导审批" in message


def test_a_rebase_merge_is_judged_by_the_policy_before_its_first_commit(school: School) -> None:
    # The pull request's own first commit drops the leader stage, the second adds a notice.
    # Judged by its own first commit's policy it would be approved; by its base's it is not.
    school.pr(policy(LOWERED), notice, method="rebase", approvers=("aa-head", "pub-chief"))
    code, report = school.publish()
    held = refusal(report, "policies.yaml")
    assert code == 1 and held.startswith("PROV003") and "校领导审批" in held
    assert refusal(report, f"{NOTICE_BUNDLE}/index.md").startswith("PROV008")


def test_an_unreviewed_policy_lowers_no_bar_and_a_reviewed_change_on_top_launders_nothing(school: School) -> None:
    pushed = school.push(policy(LOWERED))  # lowers the bar without review
    school.pr(notice, approvers=("aa-head", "pub-chief"))  # meets only the lowered bar
    school.pr(policy(POLICY), approvers=("pub-chief",))  # a reviewed change restores the text
    code, report = school.publish()
    assert code == 1 and outcomes(report) == {f"{NOTICE_BUNDLE}/index.md": "failed"}  # nothing held any more
    message = refusal(report, f"{NOTICE_BUNDLE}/index.md")
    assert message.startswith("PROV003") and "校领导审批" in message and pushed[:12] in message


# -- changes to what renders every article -----------------------------------------------------------

GOVERNING_EDITS: dict[str, Change] = {
    "policies.yaml": policy(POLICY.replace('reviewers: ["@jcu-media/leadership"]', 'reviewers: ["@jcu-media/attackers"]')),
    "themes": lambda root: (root / "themes" / "classic" / "theme.yaml").write_text(
        (root / "themes" / "classic" / "theme.yaml").read_text(encoding="utf-8") + "\n# pushed\n", encoding="utf-8"),
    "policies": lambda root: (root / "policies" / "wordlists" / "prohibited.txt").write_text("", encoding="utf-8"),
}


@pytest.mark.parametrize("path", sorted(GOVERNING_EDITS))
def test_a_direct_push_to_what_renders_every_article_stops_all_publishing_until_approved(
        school: School, path: str) -> None:
    school.pr(news, approvers=NEWS_APPROVERS)
    school.pr(camp, approvers=("su-chair", "league-secretary"))
    pushed = school.push(GOVERNING_EDITS[path])
    code, report = school.publish()
    assert code == 1
    assert outcomes(report) == {NEWS: "failed", f"{CAMP_BUNDLE}/index.md": "failed", path: "failed"}
    assert refusal(report, NEWS).startswith("PROV008") and path in refusal(report, NEWS)
    assert refusal(report, path).startswith("PROV001") and pushed[:12] in refusal(report, path)
    assert school.ledger().published() == []
    # The governing body approves a pull request that reverts the push (judged by the policy
    # before the push, even when the push changed the policy): publishing resumes
    def revert(root: Path) -> None:
        git(root, "revert", "--no-commit", pushed)

    school.pr(revert, approvers=("pub-chief",))
    code, report = school.publish()
    assert code == 0, report
    assert outcomes(report) == {NEWS: "published", f"{CAMP_BUNDLE}/index.md": "drafted"}


def test_a_proven_retraction_goes_ahead_while_publishing_is_paused(school: School) -> None:
    school.pr(camp, approvers=("su-chair", "league-secretary"))
    school.publish()
    school.push(GOVERNING_EDITS["themes"])
    school.pr(news, approvers=NEWS_APPROVERS)
    school.pr(delete(CAMP_BUNDLE), approvers=("league-secretary",))  # the operator takes it down (R15)
    code, report = school.publish(now=NEXT_LUNCH)
    assert outcomes(report) == {f"{CAMP_BUNDLE}/index.md": "retracted", NEWS: "failed", "themes": "failed"}
    assert code == 1 and refusal(report, NEWS).startswith("PROV008")


# -- retractions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["deleted", "retracted"])
def test_an_unapproved_retraction_is_refused_and_the_publication_stays(school: School, how: str) -> None:
    school.pr(camp, approvers=("su-chair", "league-secretary"))
    assert school.publish()[0] == 0
    pushed = school.push(delete(CAMP_BUNDLE) if how == "deleted" else lambda root: camp(root, retracted=True))
    code, report = school.publish(now=NEXT_LUNCH)
    message = refusal(report, f"{CAMP_BUNDLE}/index.md")
    assert code == 1 and message.startswith("PROV001") and pushed[:12] in message
    assert report["retracted"] == []
    assert [e.step for e in school.ledger().entries if e.step.startswith("retract")] == []
    assert len(world(school.sandbox)["drafts"]) == 1  # still in the draft box


def test_a_retraction_needs_the_account_operators_approval(school: School) -> None:
    school.pr(camp, approvers=("su-chair", "league-secretary"))
    school.publish()
    name, head = school.branch(delete(CAMP_BUNDLE))
    number, _ = school.merge(name, approvers=("su-chair",))  # the department, not the operator 校团委
    code, report = school.publish(now=NEXT_LUNCH)
    message = refusal(report, f"{CAMP_BUNDLE}/index.md")
    assert code == 1 and message.startswith("PROV003") and "撤回文章" in message
    school.github.add_review(number, "league-secretary", "APPROVED", head)
    code, report = school.publish(now=NEXT_LUNCH)
    assert code == 0 and outcomes(report) == {f"{CAMP_BUNDLE}/index.md": "retracted"}, report
    assert world(school.sandbox)["drafts"] == []


def test_a_retraction_whose_pull_request_never_asked_the_operator_is_refused(school: School) -> None:
    # GitHub's base.sha can predate the article (the base when the pull request was opened):
    # judged from it, the deletion needs no retraction stage. Approved, yet not by the operator.
    before = school.trusted
    school.pr(camp, approvers=("su-chair", "league-secretary"))
    school.publish()
    name, _ = school.branch(delete(CAMP_BUNDLE))
    school.merge(name, approvers=("su-chair", "league-secretary"), base_sha=before)
    code, report = school.publish(now=NEXT_LUNCH)
    message = refusal(report, f"{CAMP_BUNDLE}/index.md")
    assert code == 1 and message.startswith("PROV007") and report["retracted"] == []


# -- bootstrap: history made before wxpub ------------------------------------------------------------

def test_history_without_pull_requests_needs_a_trusted_commit(school: School, monkeypatch: pytest.MonkeyPatch) -> None:
    school.pr(news, approvers=NEWS_APPROVERS)
    code, report = school.publish(trusted="")
    assert code == 1 and refusal(report, NEWS).startswith("PROV008")
    for path in ("policies.yaml", "policies", "themes"):
        message = refusal(report, path)
        assert message.startswith("PROV001") and school.trusted[:12] in message and "WXPUB_TRUSTED_COMMIT" in message
    monkeypatch.setenv("WXPUB_TRUSTED_COMMIT", school.trusted)  # what publish.yml passes from the repository variable
    code, report = school.publish(trusted="")
    assert code == 0 and outcomes(report) == {NEWS: "published"}, report


def test_the_trusted_commit_trusts_its_tree_and_nothing_after_it(school: School) -> None:
    school.push(news)
    adopted = school.push(camp)  # the school adopts wxpub after both articles were written
    pushed = school.push(lambda root: write_article(root, slug="2026-10-24-late", front_matter={"title": "后来直接推送"}))
    code, report = school.publish(trusted=adopted)
    assert outcomes(report) == {NEWS: "published", f"{CAMP_BUNDLE}/index.md": "drafted",
                                "content/official/publicity/2026-10-24-late/index.md": "failed"}
    assert pushed[:12] in refusal(report, "content/official/publicity/2026-10-24-late/index.md")


@pytest.mark.parametrize(("anchor", "needle"), [("short", "完整"), ("side", "首父提交历史"), ("branch", "完整")])
def test_the_trusted_commit_must_be_a_full_commit_id_on_the_published_branch(
        school: School, anchor: str, needle: str) -> None:
    side, _ = school.branch(news)
    value = {"short": school.trusted[:12], "side": git(school.root, "rev-parse", side), "branch": "main"}[anchor]
    code = main(["--root", str(school.root), "publish", "--sandbox-url", school.sandbox, "--now", LUNCH,
                 "--require-approvals", "--trusted-commit", value])
    err = school.capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err


# -- what the publisher needs locally ----------------------------------------------------------------

def test_a_pull_request_head_missing_from_the_clone_is_refused_with_the_fetch_to_run(school: School) -> None:
    name, head = school.branch(news)
    school.merge(name, method="squash", approvers=NEWS_APPROVERS)
    git(school.root, "branch", "-q", "-D", name)  # the merged branch was deleted, as GitHub offers
    git(school.root, "reflog", "expire", "--expire=now", "--all")
    git(school.root, "gc", "-q", "--prune=now")
    code, report = school.publish()
    message = refusal(report, NEWS)
    assert code == 1 and message.startswith("PROV006") and head[:12] in message and "refs/pull/" in message


# -- the fake GitHub is as strict as GitHub here --------------------------------------------------------

def test_the_fake_reports_a_merge_as_github_does(school: School) -> None:
    def rename(root: Path) -> None:
        bundle = root / NEWS.removesuffix("/index.md")
        bundle.rename(bundle.with_name("2026-10-20-games"))

    name, head = school.branch(news, rename)
    number, merged = school.merge(name, method="rebase", approvers=NEWS_APPROVERS)
    api = f"{school.github.url}/repos/{school.github.repo}"
    auth = {"Authorization": f"token {school.github.token}"}
    pull = requests.get(f"{api}/pulls/{number}", headers=auth, timeout=5).json()
    assert (pull["merged"], pull["merge_commit_sha"], pull["head"]["sha"]) == (True, merged, head)
    files = requests.get(f"{api}/pulls/{number}/files", headers=auth, timeout=5).json()
    assert ("content/official/publicity/2026-10-20-games/index.md", "added") in {(f["filename"], f["status"]) for f in files}
    for sha in git(school.root, "rev-list", merged, f"^{school.trusted}").split():  # both rebased commits
        assert [p["number"] for p in requests.get(f"{api}/commits/{sha}/pulls", headers=auth, timeout=5).json()] == [number]
    unknown = requests.get(f"{api}/commits/{'0' * 40}/pulls", headers=auth, timeout=5)
    assert unknown.status_code == 422 and unknown.json()["message"] == f"No commit found for SHA: {'0' * 40}"



# -- when approvals count --------------------------------------------------------------------------

def test_an_approval_given_after_the_merge_does_not_count(school: School) -> None:
    name, head = school.branch(news)
    number, _ = school.merge(name)  # merged by an administrator with no approval at all
    school.github.add_review(number, "pub-chief", "APPROVED", head, "2026-03-05T10:00:00Z")  # GitHub allows it
    code, report = school.publish()
    assert code == 1 and refusal(report, NEWS).startswith("PROV003")


def test_a_change_request_after_the_merge_still_stops_the_article(school: School) -> None:
    name, head = school.branch(news)
    number, _ = school.merge(name, approvers=NEWS_APPROVERS)
    school.github.add_review(number, "pub-chief", "CHANGES_REQUESTED", head, "2026-03-05T10:00:00Z")
    code, report = school.publish()
    assert code == 1 and refusal(report, NEWS).startswith("PROV003")


def test_a_long_policy_history_is_judged_once_per_pull_request_without_deep_recursion(school: School) -> None:
    for i in range(60):
        school.pr(policy(POLICY + f"\n# reviewed change {i}\n"), approvers=("pub-chief",))
    school.pr(news, approvers=NEWS_APPROVERS)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 250)  # judging each change by the one before, recursively, needs more
    try:
        code, report = school.publish()
    finally:
        sys.setrecursionlimit(limit)
    assert code == 0 and outcomes(report) == {NEWS: "published"}, report
    reviews = [path.split("?")[0] for path in school.github.paths("GET") if "/reviews" in path]
    assert len(reviews) == len(set(reviews)) == 61


def test_every_refusal_code_is_documented_with_what_to_do() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (PROJECT / "pipeline").rglob("*.py"))
    doc = (PROJECT / "docs/setup.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\bPROV\d{3}\b", sources))
    documented = set(re.findall(r"^\| `(PROV\d{3})` \|", doc, re.M))
    assert used == documented and len(used) == 8


# -- the class: any interleaving of pull requests and pushes -------------------------------------------

Step = tuple[str, str, bool, int | None]  # (pull request or push, merge method, approved, version or deletion)
STEPS = st.lists(st.tuples(st.sampled_from(["pr", "push"]), st.sampled_from(["merge", "squash", "rebase"]),
                           st.booleans(), st.sampled_from([0, 1, 2, None])), min_size=1, max_size=6)
NEWS_BUNDLE = PurePosixPath(NEWS).parent


def version(number: int | None) -> Change:
    """Write the article's version `number` (None: delete it), and a note, so there is always a commit."""
    def write(root: Path) -> None:
        if number is None:
            shutil.rmtree(root / NEWS_BUNDLE, ignore_errors=True)
        else:
            write_article(root, body=f"第 {number} 版正文。\n")
        noise(root)
    return write


def noise(root: Path) -> None:
    """Every step commits something, even when the article stays as it is: another article of
    the same department (so the same reviewers approve it), a line longer each time."""
    index = root / NEWS_BUNDLE.with_name("2026-10-30-notes") / "index.md"
    lines = index.read_text(encoding="utf-8").count("\n") if index.exists() else 0
    write_article(root, slug="2026-10-30-notes", front_matter={"title": "札记"}, body="记录。\n" * (lines + 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_an_article_goes_out_or_comes_down_only_as_the_last_approved_pull_request_left_it(steps: list[Step]) -> None:
    """Whatever mix of merges (three methods), approvals and direct pushes shaped the article,
    the decision is the model's: allowed exactly when its last change came from an approved
    pull request (or predates the trusted commit), for a publication and for a retraction."""
    with tempfile.TemporaryDirectory() as folder, FakeGitHub("jcu-media/site") as github:
        for slug, members in TEAMS.items():
            github.set_team("jcu-media", slug, members)
        root = make_repo(Path(folder))
        write_article(root, body="第 0 版正文。\n")
        trusted = commit_all(root, "the school adopts wxpub")
        history = History(root, github)
        current: int | None = 0
        proven = True  # the article as the trusted commit left it
        for kind, method, approved, number in steps:
            if kind == "push":
                history.push(version(number))
            else:  # two commits: a rebase merge adds the article's change below its merge_commit_sha
                # a deletion also needs the account operator's stage (publicity): a third member
                history.pr(version(number), noise, method=method,
                           approvers=(*NEWS_APPROVERS, "pub-operator") if approved else ())
            if number != current:
                current, proven = number, kind == "pr" and approved
        repo = pygit2.Repository(str(root))
        head = repo.revparse_single("HEAD").peel(pygit2.Commit)
        gate = Provenance(repo, head, GitHubForge(github.repo, publish_token(github), api_url=github.url), trusted=trusted)
        proof = gate.publication(NEWS_BUNDLE) if current is not None else gate.retraction(NEWS_BUNDLE)
        assert proof.allowed == proven, (steps, proof)
        assert proof.allowed or proof.code in ("PROV001", "PROV003")  # a push, or an unapproved merge
        assert gate.held() == ()  # no step touched what renders every article
