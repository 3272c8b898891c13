"""The fake GitHub is as strict as GitHub about a token's permissions, and the tests run each job
with the permissions its workflow file declares: a job missing one fails here as on GitHub.

GitHub's facts (which permission each endpoint needs, what it answers without it) are in
tests/testing/fake_github.py, with their sources; these tests restate them per endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygit2
import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.forge import ForgeError, GitHubForge
from pipeline.provenance import Provenance

from tests.test_approvals import HEAD as HEAD_SHA
from tests.test_approvals import NEWS, article, pull
from tests.test_provenance import NEWS_APPROVERS, NEWS_BUNDLE, TEAMS, History, version
from tests.testing.fake_github import LEVELS, SCOPES, TOKEN, FakeGitHub
from tests.testing.fixtures import SAMPLE_TEAMS, commit_all, make_repo, write_article
from tests.testing.preview_job import ARTICLE, PREVIEW_WORKFLOW, SEEN, preview_token, run_find_step
from tests.testing.workflow_tokens import (
    APPROVALS, PUBLISH, STATS, WORKFLOWS, app_permissions, app_token, github_token, job_permissions,
)

DENIED = "Resource not accessible by integration"
REPO = "jcu-media/site"
HEAD = "a" * 40

# (method, path below /repos/{repo} or absolute, JSON body): one request per endpoint the fake serves
ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "repository": ("GET", "", None),
    "pull": ("GET", "/pulls/7", None),
    "files": ("GET", "/pulls/7/files", None),
    "commits": ("GET", "/pulls/7/commits", None),
    "comment": ("POST", "/issues/7/comments", {"body": "预览已发送"}),
    "events": ("GET", "/issues/7/events", None),
    "reviews": ("GET", "/pulls/7/reviews", None),
    "review": ("POST", "/pulls/7/reviews", {"event": "COMMENT", "body": "看过了"}),
    "request review": ("POST", "/pulls/7/requested_reviewers", {"team_reviewers": ["publicity"]}),
    "commit pulls": ("GET", f"/commits/{HEAD}/pulls", None),
    "contents": ("GET", f"/contents/policies.yaml?ref={HEAD}", None),
    "status": ("POST", f"/statuses/{HEAD}", {"state": "success", "context": "wxpub/approvals"}),
    "permission": ("GET", "/collaborators/reviewer/permission", None),
    "members": ("GET", "/orgs/jcu-media/teams/publicity/members", None),
}
# What GitHub serves to an installation token holding only the key's permissions (besides metadata: read)
SERVED: list[tuple[dict[str, str], set[str]]] = [
    ({}, {"repository", "permission"}),
    ({"pull-requests": "none", "contents": "none"}, {"repository", "permission"}),
    ({"contents": "read"}, {"repository", "permission", "pull", "contents"}),
    ({"contents": "write"}, {"repository", "permission", "pull", "contents"}),
    ({"pull-requests": "read"}, {"repository", "permission", "pull", "files", "commits", "events", "reviews",
                                 "commit pulls"}),
    ({"pull-requests": "write"}, {"repository", "permission", "pull", "files", "commits", "events", "reviews",
                                  "commit pulls", "comment", "review", "request review"}),
    ({"issues": "read"}, {"repository", "permission", "events"}),
    ({"issues": "write"}, {"repository", "permission", "events", "comment"}),
    ({"statuses": "write"}, {"repository", "permission", "status"}),
    ({"statuses": "read"}, {"repository", "permission"}),
    ({"members": "read"}, {"repository", "permission", "members"}),
    # every permission a GITHUB_TOKEN can be given: still no organisation team
    ({scope: "write" for scope in SCOPES - {"metadata", "members"}}, set(ENDPOINTS) - {"members"}),
]


@pytest.fixture(scope="module")
def fake() -> Any:
    with FakeGitHub(REPO) as github:
        github.add_pull(7, "editor", HEAD, files=[(ARTICLE + "/index.md", "modified", None)])
        github.set_file(HEAD, "policies.yaml", b"accounts: {}\n")
        github.set_role("reviewer", "write")
        github.set_team("jcu-media", "publicity", ["pub-chief"])
        github.link_commit(HEAD, 7)
        yield github


def call(fake: FakeGitHub, endpoint: str, token: str) -> requests.Response:
    method, path, body = ENDPOINTS[endpoint]
    url = fake.url + (path if path.startswith("/orgs/") else f"/repos/{REPO}{path}")
    return requests.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.mark.parametrize(("permissions", "served"), SERVED, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_each_endpoint_needs_the_permission_github_lists(fake: FakeGitHub, permissions: dict[str, str],
                                                          served: set[str]) -> None:
    token = fake.mint(permissions)
    for endpoint in ENDPOINTS:
        answer = call(fake, endpoint, token)
        if endpoint in served:
            assert answer.status_code in (200, 201), (endpoint, answer.status_code, answer.text)
        elif endpoint == "members":  # GitHub hides an organisation's teams from such a token
            assert answer.status_code == 404 and answer.json()["message"] == "Not Found", answer.text
        else:
            assert answer.status_code == 403, (endpoint, answer.status_code, answer.text)
            assert answer.json()["message"] == DENIED and answer.json()["documentation_url"].startswith("https://")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(SCOPES - {"metadata"})), st.sampled_from(LEVELS)),
       st.sampled_from(sorted(SCOPES - {"metadata"})), st.sampled_from(sorted(ENDPOINTS)))
def test_more_permission_never_serves_less(permissions: dict[str, str], scope: str, endpoint: str) -> None:
    """Raising one permission (none < read < write) never turns a served request into a refused one."""
    raised = {**permissions, scope: "write"}
    with FakeGitHub(REPO) as fake:
        fake.add_pull(7, "editor", HEAD)
        fake.set_file(HEAD, "policies.yaml", b"x: 1\n")
        fake.set_role("reviewer", "read")
        fake.set_team("jcu-media", "publicity", ["pub-chief"])
        before = call(fake, endpoint, fake.mint(permissions)).status_code
        after = call(fake, endpoint, fake.mint(raised)).status_code
    assert after < 400 or before >= 400, (endpoint, permissions, scope, before, after)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["prefix", "suffix", "case", "scheme", "space", "other"]),
       st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8))
def test_a_token_the_fake_never_issued_is_401(how: str, noise: str) -> None:
    """A look-alike of a real token (cut, extended, re-cased, another scheme) is not that token."""
    with FakeGitHub(REPO) as fake:
        real = fake.mint({"pull-requests": "write"})
        header = {"prefix": f"Bearer {real[:-1]}", "suffix": f"Bearer {real}{noise}", "case": f"Bearer {real.upper()}",
                  "scheme": f"Basic {real}", "space": f"Bearer  {real}", "other": f"Bearer {noise}"}[how]
        answer = requests.get(f"{fake.url}/repos/{REPO}", headers={"Authorization": header}, timeout=10)
    assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"


def test_a_token_names_only_permissions_github_has() -> None:
    with FakeGitHub(REPO) as fake:
        for wrong in ({"pull_requests": "write"}, {"contents": "admin"}, {"organization": "read"}):
            with pytest.raises(ValueError, match="no GitHub token permission"):
                fake.mint(wrong)


# -- the permissions come from the workflow files ------------------------------------------------------

def test_the_permissions_are_the_workflow_files_own() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]:
            assert job_permissions(path, job) == dict(yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"][job]
                                                      ["permissions"] or {})
    assert app_permissions(APPROVALS, "approvals") == {"members": "read", "contents": "read",
                                                       "pull-requests": "write", "statuses": "write"}
    assert app_permissions(PUBLISH, "publish") == {"members": "read", "contents": "read", "pull-requests": "read"}


def test_a_job_without_stated_permissions_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(STATS.read_text(encoding="utf-8"))
    del document["jobs"]["stats"]["permissions"], document["permissions"]
    workflow = tmp_path / "stats.yml"
    workflow.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ValueError, match="states no permissions"):
        job_permissions(workflow, "stats")
    document["permissions"] = "read-all"
    workflow.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert job_permissions(workflow, "stats")["pull-requests"] == "read"
    assert "members" not in job_permissions(workflow, "stats")  # no GITHUB_TOKEN reads an organisation's teams


def without(workflow: Path, tmp_path: Path, job: str, scope: str, level: str = "none") -> Path:
    """A copy of `workflow` whose `job` declares `scope` at `level` (its own permission, or its App step's)."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    spec = document["jobs"][job]
    app = [s for s in spec["steps"] if str(s.get("uses", "")).startswith("actions/create-github-app-token@")]
    declared = app[0]["with"] if app else spec["permissions"]
    key = f"permission-{scope}" if app else scope
    assert key in declared, (workflow.name, job, key)
    if level == "none":
        del declared[key]
    else:
        declared[key] = level
    copy = tmp_path / workflow.name
    copy.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return copy


# -- wechat-preview: the job's own step with one permission less -----------------------------------------

def test_the_preview_step_fails_with_githubs_answer_without_pull_requests(tmp_path: Path) -> None:
    """Without `pull-requests` the job may still read the pull request (`contents: read` serves it)
    but not its issue events: GitHub's 403, and nothing is sent."""
    workflow = without(PREVIEW_WORKFLOW, tmp_path, "preview", "pull-requests")
    with FakeGitHub(REPO) as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[(ARTICLE + "/index.md", "modified", None)])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github, workflow), github.repo,
                                          workflow=workflow, EVENT_NAME="issue_comment", PR_NUMBER="7",
                                          COMMENT=f"/preview 张三 @{SEEN}")
    assert code != 0 and output == "", log
    assert f"gh: {DENIED} (HTTP 403)" in log, log


def test_the_preview_reply_needs_pull_requests_write(tmp_path: Path) -> None:
    """With `pull-requests: read` the step reads everything but cannot reply: GitHub's 403, said in
    the log, and the reader gets no line to copy."""
    workflow = without(PREVIEW_WORKFLOW, tmp_path, "preview", "pull-requests", "read")
    with FakeGitHub(REPO) as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[(ARTICLE + "/index.md", "modified", None)])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github, workflow), github.repo,
                                          workflow=workflow, EVENT_NAME="issue_comment", PR_NUMBER="7",
                                          COMMENT="/preview 张三")
        assert github.comments == []
    assert code != 0 and output == "", log
    assert f"gh: {DENIED} (HTTP 403)" in log and "无法在合并请求中回复" in log, log
    # the control: the job as declared replies
    with FakeGitHub(REPO) as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[(ARTICLE + "/index.md", "modified", None)])
        run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="issue_comment",
                      PR_NUMBER="7", COMMENT="/preview 张三")
        assert [(n, user) for n, user, _ in github.comments] == [(7, "github-actions[bot]")]


# -- approvals: `wxpub approvals` with the App token, one permission less ----------------------------------

@pytest.mark.parametrize("scope", ["contents", "pull-requests", "statuses", "members"])
def test_approvals_fails_clearly_without_each_permission_its_app_token_asks_for(
        tmp_path: Path, scope: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    workflow = without(APPROVALS, tmp_path, "approvals", scope)
    with FakeGitHub(REPO) as github:
        for slug, members in SAMPLE_TEAMS.items():
            github.set_team("jcu-media", slug, members)
        pull(github, (NEWS, "added", None))
        github.set_file(HEAD_SHA, NEWS, article())
        github.add_review(1, "pub-chief", "APPROVED", HEAD_SHA)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", app_token(github, workflow, "approvals"))
        code = main(["--root", str(repo), "approvals", "--pr", "1", "--status"])
        err = capsys.readouterr().err
        statuses = list(github.statuses)
    assert code == 2, (code, err)
    assert "Traceback" not in err
    assert ("404" if scope == "members" else DENIED) in err, err
    assert ("read:org" if scope == "members" else "令牌权限不足") in err, err
    if scope == "statuses":
        assert statuses == []


def test_the_declared_tokens_are_enough(tmp_path: Path) -> None:
    """The controls: each job's token, as declared, is served what its step asks."""
    with FakeGitHub(REPO) as github:
        github.add_pull(7, "editor", HEAD)
        github.set_file(HEAD, "policies.yaml", b"x: 1\n")
        github.set_team("jcu-media", "publicity", ["pub-chief"])
        github.link_commit(HEAD, 7)
        approvals = app_token(github, APPROVALS, "approvals")
        for endpoint in ("pull", "files", "reviews", "contents", "status", "members", "request review"):
            assert call(github, endpoint, approvals).status_code < 400, endpoint
        publish = app_token(github, PUBLISH, "publish")
        for endpoint in ("commit pulls", "pull", "files", "commits", "reviews", "contents", "members"):
            assert call(github, endpoint, publish).status_code < 400, endpoint
        for endpoint in ("status", "comment", "request review"):  # publishing writes nothing on GitHub
            assert call(github, endpoint, publish).status_code == 403, endpoint
        report = github_token(github, STATS, "stats")
        for endpoint in ("commit pulls", "reviews"):
            assert call(github, endpoint, report).status_code < 400, endpoint
        assert call(github, "members", report).status_code == 404
        assert call(github, "files", TOKEN).status_code == 200  # the fake's own App: every permission it knows


# -- publish: proving an article with the App token, one permission less -------------------------------------

@pytest.mark.parametrize("scope", [None, "contents", "pull-requests", "members"])
def test_publishing_proves_an_article_only_with_every_permission_its_app_token_asks_for(
        tmp_path: Path, scope: str | None) -> None:
    """publish.yml's App token (None: as declared) proves an approved merge; without any one of its
    permissions the proof fails with GitHub's answer and the article does not go out."""
    workflow = PUBLISH if scope is None else without(PUBLISH, tmp_path, "publish", scope)
    with FakeGitHub(REPO) as github:
        for slug, members in TEAMS.items():
            github.set_team("jcu-media", slug, members)
        root = make_repo(tmp_path)
        write_article(root, body="第 0 版正文。\n")
        trusted = commit_all(root, "the school adopts wxpub")
        History(root, github).pr(version(1), approvers=NEWS_APPROVERS)
        repo = pygit2.Repository(str(root))
        head = repo.revparse_single("HEAD").peel(pygit2.Commit)
        forge = GitHubForge(REPO, app_token(github, workflow, "publish"), api_url=github.url)
        gate = Provenance(repo, head, forge, trusted=trusted)
        try:
            proof = gate.publication(NEWS_BUNDLE)
            said = f"{proof.code} {proof.reason}"
            allowed = proof.allowed
        except ForgeError as error:
            said, allowed = f"{error.message} {error.hint}", False
    if scope is None:
        assert allowed, said
    else:
        assert not allowed
        assert ("404" if scope == "members" else DENIED) in said, said
