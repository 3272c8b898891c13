"""The real GitHubForge (PyGithub) over real HTTP against the fake GitHub in tests/testing.

per_page=2 throughout, so every list of more than two items is fetched page by page by
following the Link headers, and the tests assert those page requests were made.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from typing import Iterator

import pytest
import requests

from pipeline.errors import UserError
from github import Auth, Github, GithubException

from pipeline.forge import (
    MAX_PR_FILES, ChangedFile, Forge, ForgeError, GitHubForge, MembershipUnavailable, NotRegularFile, PullRequest,
    Review, forge_from_env,
)
from tests.testing.fake_github import APP_LOGIN, TOKEN, FakeGitHub, Refused, running

REPO = "jcu-media/site"
HEAD, BASE, MERGE = "a" * 40, "b" * 40, "c" * 40


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    yield from running(REPO)


@pytest.fixture
def forge(fake: FakeGitHub) -> GitHubForge:
    return GitHubForge(REPO, fake.token, api_url=fake.url, per_page=2)


def pages(fake: FakeGitHub, path: str) -> list[int]:
    """The page numbers requested for `path` (a request without `page` is page 1)."""
    numbers = []
    for raw in fake.paths("GET"):
        split = urllib.parse.urlsplit(raw)
        if split.path == path:
            query = dict(urllib.parse.parse_qsl(split.query))
            assert query.get("per_page") == "2"
            numbers.append(int(query.get("page", 1)))
    return numbers


def assert_no_token(exc: BaseException) -> None:
    assert TOKEN not in str(exc)
    assert TOKEN not in repr(exc.args)


def test_is_a_forge(forge: GitHubForge) -> None:
    typed: Forge = forge  # mypy checks the Protocol; this keeps the import honest
    assert typed is forge


# -- pull requests ----------------------------------------------------------------------
def test_pull_request_open(fake: FakeGitHub, forge: GitHubForge) -> None:
    # an open pull request has GitHub's test-merge commit in merge_commit_sha; we do not report it
    fake.add_pull(12, "WangFang", HEAD, base_ref="main", merge_commit_sha="9" * 40)
    assert forge.pull_request(12) == PullRequest(
        number=12, author="WangFang", head_sha=HEAD, base_sha=BASE, base_ref="main", merged=False,
        merge_commit_sha=None, state="open", url="https://github.com/jcu-media/site/pull/12", changed_files=0,
        created_at="2026-03-01T07:00:00Z",  # when it was opened, in the form Review.submitted_at has
        default_branch="main")  # from the base repository in the same answer: no request more
    assert fake.requests == [("GET", "/repos/jcu-media/site/pulls/12")]  # lazy: no GET of the repository first


def test_pull_request_merged(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(13, "li-lei", HEAD, merged=True, merge_commit_sha=MERGE)
    pr = forge.pull_request(13)
    assert (pr.merged, pr.merge_commit_sha, pr.state) == (True, MERGE, "closed")


def test_pull_request_missing(forge: GitHubForge) -> None:
    with pytest.raises(ForgeError) as caught:
        forge.pull_request(404)
    assert caught.value.status == 404
    assert "#404" in caught.value.message and "#404" in caught.value.hint
    assert_no_token(caught.value)


def test_changed_files_all_pages(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD, files=[
        ("content/official/2026/a.md", "added", None),
        ("content/official/2026/b.md", "modified", None),
        ("content/official/2026/c.md", "removed", None),
        ("content/official/2026/运动会.md", "renamed", "content/official/2026/old.md"),
        ("content/official/2026/e.md", "copied", "content/official/2026/a.md"),
    ])
    assert forge.changed_files(7) == [
        ChangedFile("content/official/2026/a.md", None, "added"),
        ChangedFile("content/official/2026/b.md", None, "modified"),
        ChangedFile("content/official/2026/c.md", None, "removed"),
        ChangedFile("content/official/2026/运动会.md", "content/official/2026/old.md", "renamed"),
        ChangedFile("content/official/2026/e.md", "content/official/2026/a.md", "added"),
    ]
    assert pages(fake, "/repos/jcu-media/site/pulls/7/files") == [1, 2, 3]


def test_reviews_all_pages_in_order_with_dismissed(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    first = fake.add_review(7, "Bob", "APPROVED", BASE, "2026-03-01T08:00:00Z")
    fake.add_review(7, "carol", "CHANGES_REQUESTED", HEAD, "2026-03-01T09:00:00Z")
    fake.add_review(7, "dave", "COMMENTED", HEAD, "2026-03-01T10:00:00Z")
    fake.add_review(7, "erin", "APPROVED", HEAD, "2026-03-01T11:00:00Z")
    fake.add_review(7, "frank", "APPROVED", HEAD, "2026-03-01T12:00:00Z")
    fake.dismiss_review(7, first)
    reviews = forge.reviews(7)
    assert [(r.user, r.state) for r in reviews] == [
        ("Bob", "DISMISSED"), ("carol", "CHANGES_REQUESTED"), ("dave", "COMMENTED"),
        ("erin", "APPROVED"), ("frank", "APPROVED")]
    assert reviews[0] == Review(id=first, user="Bob", state="DISMISSED", commit_id=BASE,
                                submitted_at="2026-03-01T08:00:00Z")
    assert [r.id for r in reviews] == sorted(r.id for r in reviews)
    assert pages(fake, "/repos/jcu-media/site/pulls/7/reviews") == [1, 2, 3]


def test_changed_files_stop_at_3000_but_the_pull_request_counts_them_all(fake: FakeGitHub) -> None:
    forge = GitHubForge(REPO, fake.token, api_url=fake.url, per_page=100)
    fake.add_pull(8, "alice", HEAD, files=[(f"docs/page-{i:04d}.md", "added", None) for i in range(3001)])
    assert forge.pull_request(8).changed_files == 3001
    listed = forge.changed_files(8)
    assert len(listed) == MAX_PR_FILES == 3000 and listed[-1].path == "docs/page-2999.md"
    assert len(fake.paths("GET")) == 1 + 30  # the pull request, then 30 pages of 100
    fake.add_pull(9, "alice", HEAD, files=[(f"docs/page-{i:04d}.md", "added", None) for i in range(3000)])
    assert len(forge.changed_files(9)) == forge.pull_request(9).changed_files == 3000


def test_list_answers_carry_no_file_count(fake: FakeGitHub, forge: GitHubForge) -> None:
    # commits/{sha}/pulls answers "pull-request-simple": no changed_files, and no extra GET to fill it in
    fake.add_pull(20, "alice", HEAD, merged=True, merge_commit_sha=MERGE, files=[("a.md", "added", None)])
    fake.link_commit(MERGE, 20)
    [found] = forge.pulls_for_commit(MERGE)
    assert found.changed_files is None and len(fake.requests) == 1


def test_a_pull_requests_commits_stop_at_250_but_it_counts_them_all(fake: FakeGitHub) -> None:
    """PyGithub over HTTP: a push adds the new head, a force push leaves only it (the
    wechat-preview job reads the list to find a commit prefix two commits share)."""
    fake.add_pull(7, "alice", f"{0:040x}")
    for n in range(1, 260):
        fake.push(7, f"{n:040x}")
    pull = Github(auth=Auth.Token(fake.token), base_url=fake.url, per_page=100, retry=None).get_repo(REPO).get_pull(7)
    assert pull.commits == 260
    listed = [c.sha for c in pull.get_commits()]
    assert listed == [f"{n:040x}" for n in range(250)]
    fake.push(7, HEAD, force=True)
    assert [c.sha for c in pull.get_commits()] == [HEAD]


@pytest.mark.parametrize("body", ["", "x" * 65537])
def test_an_issue_comment_needs_a_body_of_1_to_65536_characters(fake: FakeGitHub, body: str) -> None:
    fake.add_pull(7, "alice", HEAD)
    pull = Github(auth=Auth.Token(fake.token), base_url=fake.url, retry=None).get_repo(REPO).get_pull(7)
    with pytest.raises(GithubException) as caught:
        pull.create_issue_comment(body)
    assert caught.value.status == 422 and caught.value.data["errors"][0]["field"] == "body"
    answer = requests.post(f"{fake.url}/repos/{REPO}/issues/7/comments", json={"body": 7},
                           headers={"Authorization": f"token {fake.token}"}, timeout=5)
    assert answer.status_code == 422  # a number is not a body
    assert fake.comments == []


def test_an_issue_comment_is_kept_on_a_pull_request_that_exists(fake: FakeGitHub) -> None:
    fake.add_pull(7, "alice", HEAD)
    repo = Github(auth=Auth.Token(fake.token), base_url=fake.url, retry=None).get_repo(REPO)
    made = repo.get_pull(7).create_issue_comment("x" * 65536)
    assert made.body == "x" * 65536 and made.user.login == APP_LOGIN
    assert fake.comments == [(7, APP_LOGIN, "x" * 65536)]
    answer = requests.post(f"{fake.url}/repos/{REPO}/issues/8/comments", json={"body": "在吗"},
                           headers={"Authorization": f"token {fake.token}"}, timeout=5)
    assert answer.status_code == 404 and len(fake.comments) == 1


# -- reviews: what GitHub refuses and hides -----------------------------------------------
def as_user(fake: FakeGitHub, login: str) -> Github:
    """PyGithub acting as a person, to send reviews over HTTP as GitHub's users do."""
    return Github(auth=Auth.Token(fake.token_for(login)), base_url=fake.url, lazy=True, retry=None)


def test_the_author_cannot_approve_their_own_pull_request(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    pull = as_user(fake, "alice").get_repo(REPO).get_pull(7)
    for event in ("APPROVE", "REQUEST_CHANGES"):
        with pytest.raises(GithubException) as caught:
            pull.create_review(event=event, body="看过了")
        assert caught.value.status == 422
        assert "your own pull request" in str(caught.value.data["errors"][0])
    with pytest.raises(Refused, match="Can not approve your own pull request"):
        fake.add_review(7, "ALICE", "APPROVED")  # nor can a test set it up: logins are case-insensitive
    as_user(fake, "bob").get_repo(REPO).get_pull(7).create_review(event="APPROVE")
    assert [(r.user, r.state, r.commit_id) for r in forge.reviews(7)] == [("bob", "APPROVED", HEAD)]


def test_a_pending_review_is_seen_only_by_its_author(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    bob = as_user(fake, "bob").get_repo(REPO).get_pull(7)
    draft = bob.create_review(body="还没写完")  # no event: PENDING
    assert draft.state == "PENDING" and draft.submitted_at is None
    with pytest.raises(GithubException) as caught:
        bob.create_review(body="第二份草稿")
    assert caught.value.status == 422 and "one pending review" in str(caught.value.data["errors"][0])
    carol = fake.add_review(7, "carol", "APPROVED")
    assert [r.user for r in forge.reviews(7)] == ["carol"]  # the app does not see bob's draft
    assert [(r.user, r.state) for r in GitHubForge(REPO, fake.token_for("bob"), api_url=fake.url).reviews(7)] == [
        ("bob", "PENDING"), ("carol", "APPROVED")]
    # submitting it later gives it the submission time, after carol's, though its id is older
    fake.submit_review(7, draft.id, "APPROVE")
    reviews = forge.reviews(7)
    assert [(r.id, r.user, r.state) for r in reviews] == [(draft.id, "bob", "APPROVED"), (carol, "carol", "APPROVED")]
    assert reviews[0].submitted_at > reviews[1].submitted_at


def test_only_its_author_can_submit_a_pending_review(fake: FakeGitHub) -> None:
    fake.add_pull(7, "alice", HEAD)
    draft = fake.add_review(7, "bob", "PENDING")
    url = f"{fake.url}/repos/{REPO}/pulls/7/reviews/{draft}/events"
    answer = requests.post(url, json={"event": "APPROVE"}, headers={"Authorization": f"token {fake.token_for('carol')}"},
                           timeout=5)
    assert answer.status_code == 404  # carol cannot even see it
    with pytest.raises(Refused):
        fake.dismiss_review(7, draft)  # nor can a pending review be dismissed


def test_a_review_cannot_be_requested_from_the_author(fake: FakeGitHub) -> None:
    fake.add_pull(7, "alice", HEAD)
    with pytest.raises(GithubException) as caught:
        as_user(fake, "bob").get_repo(REPO).get_pull(7).create_review_request(reviewers=["Alice"])
    assert caught.value.status == 422 and "author" in caught.value.data["message"]


def test_pulls_for_commit(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(20, "alice", HEAD, merged=True, merge_commit_sha=MERGE)
    fake.add_pull(21, "bob", "e" * 40)
    for number in (20, 21, 20):  # three entries: two pages
        fake.link_commit(MERGE, number)
    found = forge.pulls_for_commit(MERGE)
    assert [(p.number, p.merged, p.merge_commit_sha, p.author) for p in found] == [
        (20, True, MERGE, "alice"), (21, False, None, "bob"), (20, True, MERGE, "alice")]
    assert pages(fake, f"/repos/jcu-media/site/commits/{MERGE}/pulls") == [1, 2]
    # the list answer lacks `merged`; reading merged_at means no extra GET per pull request
    assert not any(path.startswith("/repos/jcu-media/site/pulls/") for path in fake.paths("GET"))
    assert forge.pulls_for_commit("f" * 40) == []


# -- teams ------------------------------------------------------------------------------
def test_team_members_lower_cased_all_pages(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.set_team("jcu-media", "editors", ["WangFang", "li-lei", "Zhang3", "chen", "ZHAO"])
    assert forge.team_members("@jcu-media/editors") == {"wangfang", "li-lei", "zhang3", "chen", "zhao"}
    assert pages(fake, "/orgs/jcu-media/teams/editors/members") == [1, 2, 3]
    assert forge.team_members("jcu-media/Editors") == {"wangfang", "li-lei", "zhang3", "chen", "zhao"}


def test_team_members_include_the_members_of_child_teams(fake: FakeGitHub, forge: GitHubForge) -> None:
    # GitHub: "Team members will include the members of child teams" (List team members)
    fake.set_team("jcu-media", "leadership", ["president", "vice-president"])
    fake.set_team("jcu-media", "leadership-office", ["secretary-wang", "vice-president"], parent="leadership")
    fake.set_team("jcu-media", "leadership-interns", ["intern-li"], parent="leadership-office")
    assert forge.team_members("@jcu-media/leadership") == {
        "president", "vice-president", "secretary-wang", "intern-li"}  # grandchildren too, each once
    assert forge.team_members("@jcu-media/leadership-office") == {"secretary-wang", "vice-president", "intern-li"}
    assert forge.team_members("@jcu-media/leadership-interns") == {"intern-li"}  # never the parent's members


def test_teams_nest_only_under_existing_teams_and_never_in_a_cycle(fake: FakeGitHub) -> None:
    fake.set_team("jcu-media", "a", ["x"])
    fake.set_team("jcu-media", "b", ["y"], parent="a")
    with pytest.raises(Refused):
        fake.set_team("jcu-media", "c", ["z"], parent="missing")
    with pytest.raises(Refused):
        fake.set_team("jcu-media", "a", ["x"], parent="b")


def test_team_members_denied_to_github_token(fake: FakeGitHub) -> None:
    # a workflow's GITHUB_TOKEN: repository permissions only, never the organisation's Members
    fake.set_team("jcu-media", "editors", ["wangfang"])
    token = fake.mint({"contents": "read", "pull-requests": "write", "statuses": "write"})
    forge = GitHubForge(REPO, token, api_url=fake.url)
    with pytest.raises(MembershipUnavailable) as caught:
        forge.team_members("@jcu-media/editors")
    error = caught.value
    assert isinstance(error, ForgeError) and isinstance(error, UserError)
    assert error.status == 404  # GitHub hides the organisation's teams from it
    assert "@jcu-media/editors" in error.message
    for needle in ("GITHUB_TOKEN", "Members: read", "read:org", "WXPUB_FORGE_TOKEN", "GitHub App"):
        assert needle in error.hint
    assert_no_token(error)


def test_team_members_unknown_team_is_unavailable_too(forge: GitHubForge) -> None:
    # GitHub hides teams a token may not see behind 404: same advice
    with pytest.raises(MembershipUnavailable) as caught:
        forge.team_members("@jcu-media/nobody")
    assert caught.value.status == 404 and "read:org" in caught.value.hint


@pytest.mark.parametrize("team", ["editors", "@jcu-media/", "@/editors", "@jcu media/editors", ""])
def test_team_name_must_be_org_slash_slug(fake: FakeGitHub, forge: GitHubForge, team: str) -> None:
    with pytest.raises(ForgeError, match="写法不对"):
        forge.team_members(team)
    assert fake.requests == []


# -- file contents ----------------------------------------------------------------------
def test_file_content(fake: FakeGitHub, forge: GitHubForge) -> None:
    data = "policies:\n  标题: 学校新闻\n".encode() * 20 + bytes(range(256))  # > 60 base64 chars, not UTF-8
    fake.set_file(HEAD, "policies.yaml", data)
    fake.set_file(HEAD, "content/运动会/index.md", b"# hi\n")
    assert forge.file_content("policies.yaml", HEAD) == data
    assert forge.file_content("content/运动会/index.md", HEAD) == b"# hi\n"
    assert forge.file_content("missing.yaml", HEAD) is None
    assert forge.file_content("content", HEAD) is None  # a directory is not a file
    assert ("GET", f"/repos/jcu-media/site/contents/policies.yaml?ref={HEAD}") in fake.requests


def test_file_content_through_a_symlink(fake: FakeGitHub, forge: GitHubForge) -> None:
    # GitHub answers a symlink to a file in the repository with that file's content; any
    # other symlink with `type: symlink` and no content: something is there, not a file
    fake.set_file(HEAD, "content/a/index.md", b"---\ntitle: x\n---\n")
    fake.set_symlink(HEAD, "content/b/index.md", "../a/index.md")
    fake.set_symlink(HEAD, "content/c/index.md", "/etc/passwd")
    fake.set_symlink(HEAD, "content/d/index.md", "../../../outside.md")
    assert forge.file_content("content/b/index.md", HEAD) == b"---\ntitle: x\n---\n"
    for path in ("content/c/index.md", "content/d/index.md"):
        with pytest.raises(NotRegularFile) as caught:
            forge.file_content(path, HEAD)
        assert path in caught.value.message and "symlink" in caught.value.message


def test_file_content_unknown_ref_is_an_error(forge: GitHubForge) -> None:
    with pytest.raises(ForgeError) as caught:
        forge.file_content("policies.yaml", "no-such-branch")
    assert caught.value.status == 404 and "no-such-branch" in caught.value.hint


# -- writing ----------------------------------------------------------------------------
def test_set_status(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.set_status(HEAD, "pending", "wxpub/approvals", "等待审核", target_url="https://ci.example/run/1")
    forge.set_status(HEAD, "success", "wxpub/lint", "全部通过")
    assert fake.statuses == [
        {"sha": HEAD, "state": "pending", "context": "wxpub/approvals", "description": "等待审核",
         "target_url": "https://ci.example/run/1"},
        {"sha": HEAD, "state": "success", "context": "wxpub/lint", "description": "全部通过"},
    ]
    assert fake.paths("POST") == [f"/repos/jcu-media/site/statuses/{HEAD}"] * 2
    assert fake.paths("GET") == []  # no GET of the commit first


def test_set_status_cuts_long_descriptions(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.set_status(HEAD, "failure", "wxpub/lint", "错" * 300)
    description = fake.statuses[0]["description"]
    assert len(description) == 140 and description.endswith("…")


def test_set_status_rejects_unknown_state(fake: FakeGitHub, forge: GitHubForge) -> None:
    with pytest.raises(ValueError):
        forge.set_status(HEAD, "approved", "wxpub/lint", "")
    assert fake.requests == []


def test_request_reviewers(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    fake.set_team("jcu-media", "editors", ["bob"])
    fake.set_team("jcu-media", "principal-office", ["carol"])
    forge.request_reviewers(7, ["@jcu-media/editors", "principal-office", "@jcu-media/editors"])
    assert fake.review_requests == [(7, ["editors", "principal-office"])]
    forge.request_reviewers(7, [])
    assert len(fake.paths("POST")) == 1  # nothing to ask for: no call


def test_request_reviewers_other_org(fake: FakeGitHub, forge: GitHubForge) -> None:
    with pytest.raises(ForgeError, match="不属于"):
        forge.request_reviewers(7, ["@other-school/editors"])
    assert fake.requests == []


def test_request_reviewers_team_without_access(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    with pytest.raises(ForgeError) as caught:
        forge.request_reviewers(7, ["@jcu-media/ghosts"])
    assert caught.value.status == 422 and "collaborator" in caught.value.message
    assert "Collaborators and teams" in caught.value.hint
    assert fake.review_requests == []


# -- failures ---------------------------------------------------------------------------
def test_bad_token(fake: FakeGitHub) -> None:
    wrong = "ghp_WrongTokenWrongTokenWrongToken0123"
    forge = GitHubForge(REPO, wrong, api_url=fake.url, per_page=2)
    fake.add_pull(7, "alice", HEAD)
    with pytest.raises(ForgeError) as caught:
        forge.pull_request(7)
    error = caught.value
    assert error.status == 401 and "401" in error.message and "WXPUB_FORGE_TOKEN" in error.hint
    assert wrong not in str(error) and not isinstance(error, MembershipUnavailable)


def test_server_error_is_retried(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.add_pull(7, "alice", HEAD)
    fake.fail_next(502)
    assert forge.pull_request(7).number == 7
    assert fake.paths("GET") == ["/repos/jcu-media/site/pulls/7"] * 2


def test_server_error_that_persists(fake: FakeGitHub) -> None:
    forge = GitHubForge(REPO, fake.token, api_url=fake.url, per_page=2, retries=1)
    fake.fail_next(503, times=5)
    with pytest.raises(ForgeError) as caught:
        forge.changed_files(7)
    assert "连续出错" in caught.value.message
    assert "稍后重跑" in caught.value.hint and "GITHUB_API_URL" in caught.value.hint
    assert len(fake.requests) == 2  # one try, one retry
    assert_no_token(caught.value)


def test_server_error_without_retries(fake: FakeGitHub) -> None:
    forge = GitHubForge(REPO, fake.token, api_url=fake.url, per_page=2, retries=0)
    fake.fail_next(500)
    with pytest.raises(ForgeError, match="GitHub"):
        forge.reviews(7)


def test_rate_limit_fails_with_advice_instead_of_waiting_an_hour(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.set_team("jcu-media", "editors", ["bob"])
    fake.fail_next(403, message="API rate limit exceeded for installation ID 42.",
                   headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3600)})
    with pytest.raises(ForgeError) as caught:
        forge.team_members("@jcu-media/editors")  # a 403, but not a membership problem
    assert not isinstance(caught.value, MembershipUnavailable)
    assert "上限" in caught.value.message and caught.value.status == 403
    assert len(fake.requests) == 1


def test_network_error() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    forge = GitHubForge(REPO, TOKEN, api_url=f"http://127.0.0.1:{port}", retries=0)
    with pytest.raises(ForgeError) as caught:
        forge.pull_request(1)
    assert caught.value.status is None and "无法连接 GitHub" in caught.value.message
    assert_no_token(caught.value)


def test_token_echoed_by_the_server_is_redacted(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.fail_next(422, message=f"token {TOKEN} is not allowed here; Authorization: Bearer {TOKEN}")
    with pytest.raises(ForgeError) as caught:
        forge.set_status(HEAD, "success", "wxpub/lint", "ok")
    assert "***" in str(caught.value)
    assert_no_token(caught.value)


def test_github_enterprise_prefix() -> None:
    with FakeGitHub(REPO, prefix="/api/v3") as fake:
        fake.add_pull(3, "alice", HEAD)
        assert fake.url.endswith("/api/v3")
        forge = GitHubForge(REPO, fake.token, api_url=fake.url + "/", per_page=2)
        assert forge.pull_request(3).number == 3
        assert fake.requests == [("GET", "/api/v3/repos/jcu-media/site/pulls/3")]


# -- configuration ----------------------------------------------------------------------
def test_forge_from_env(fake: FakeGitHub) -> None:
    fake.add_pull(5, "alice", HEAD)
    forge = forge_from_env({"GITHUB_REPOSITORY": REPO, "WXPUB_FORGE_TOKEN": fake.token,
                            "GITHUB_TOKEN": "ghs_TheWorkflowTokenThatMayNotReadTeams", "GITHUB_API_URL": fake.url})
    assert forge.repository == REPO and forge.pull_request(5).number == 5  # WXPUB_FORGE_TOKEN wins
    fallback = forge_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.url})
    assert fallback.pull_request(5).number == 5


def test_forge_from_env_missing_repository() -> None:
    with pytest.raises(UserError, match="GITHUB_REPOSITORY"):
        forge_from_env({"GITHUB_TOKEN": TOKEN})


def test_forge_from_env_missing_token() -> None:
    with pytest.raises(UserError) as caught:
        forge_from_env({"GITHUB_REPOSITORY": REPO, "WXPUB_FORGE_TOKEN": "  "})
    assert "WXPUB_FORGE_TOKEN" in caught.value.message and "GITHUB_TOKEN" in caught.value.message


@pytest.mark.parametrize(("environ", "needle"), [
    ({"GITHUB_REPOSITORY": "no-slash", "GITHUB_TOKEN": TOKEN}, "owner/name"),
    ({"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL"),
])
def test_forge_from_env_bad_values(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(UserError) as caught:
        forge_from_env(environ)
    assert needle in str(caught.value) and TOKEN not in str(caught.value)


# -- the fake itself speaks GitHub's protocol --------------------------------------------
def test_fake_requires_a_token_and_sends_github_link_headers(fake: FakeGitHub) -> None:
    fake.set_team("jcu-media", "editors", [f"user{i}" for i in range(5)])
    url = f"{fake.url}/orgs/jcu-media/teams/editors/members"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "token wrong"}, timeout=5).json()["message"] == "Bad credentials"
    answer = requests.get(url, params={"per_page": 2, "page": 2}, headers={"Authorization": f"Bearer {fake.token}"},
                          timeout=5)
    assert [user["login"] for user in answer.json()] == ["user2", "user3"]
    assert {rel: int(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link["url"]).query))["page"])
            for rel, link in answer.links.items()} == {"next": 3, "last": 3, "first": 1, "prev": 1}


@pytest.mark.parametrize(("role", "base"), [("admin", "admin"), ("maintain", "write"), ("write", "write"),
                                            ("triage", "read"), ("read", "read")])
def test_a_persons_permission_gives_the_base_role_and_the_role(fake: FakeGitHub, role: str, base: str) -> None:
    """Get repository permissions for a user: `permission` holds the legacy base role (maintain
    reads as write, triage as read), `role_name` the role itself; PyGithub reads the same answer."""
    fake.set_role("Alice", role)
    answer = requests.get(f"{fake.url}/repos/{REPO}/collaborators/alice/permission",
                          headers={"Authorization": f"Bearer {fake.token}"}, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["permission"], body["role_name"], body["user"]["login"]) == (base, role, "Alice")
    assert body["user"]["permissions"]["push"] is (base in ("admin", "write"))
    assert as_user(fake, "bob").get_repo(REPO).get_collaborator_permission("alice") == base


@pytest.mark.parametrize("login", ["stranger", "alice/../bob", "alice%2F..%2Fbob"])
def test_a_person_without_access_has_no_permission_to_read(fake: FakeGitHub, login: str) -> None:
    fake.set_role("alice", "write")
    answer = requests.get(f"{fake.url}/repos/{REPO}/collaborators/{login}/permission",
                          headers={"Authorization": f"Bearer {fake.token}"}, timeout=5)
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"
    with pytest.raises(Refused):
        fake.set_role("carol", "owner")  # not a repository role
