"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 for the endpoints wxpub uses.

The real client (pipeline/forge.py, on PyGithub) talks to it over HTTP, so tests cover
URLs, query strings, headers, JSON shapes, pagination and error answers, not mocks.

Base URL: `start()` returns `http://127.0.0.1:PORT` (plus `prefix`, e.g. "/api/v3" to look
like GitHub Enterprise). PyGithub needs no prefix: it keeps whatever path `base_url` has
and puts "/repos/..." after it, so both forms work; the default is none, like api.github.com.

Endpoints (GitHub's documented shapes, trimmed to the fields a client reads):

    GET  /repos/{o}/{r}                              the repository
    GET  /repos/{o}/{r}/pulls/{n}                    pull request (full, with `changed_files`)
    GET  /repos/{o}/{r}/pulls/{n}/files              changed files, paginated, at most 3000
    GET  /repos/{o}/{r}/pulls/{n}/commits            its commits, oldest first, paginated, at most 250
    POST /repos/{o}/{r}/issues/{n}/comments          a comment on the pull request (an issue)
    GET  /repos/{o}/{r}/issues/{n}/events            the pull request's issue events, paginated, oldest first
    GET  /repos/{o}/{r}/pulls/{n}/reviews            reviews, paginated, oldest first
    POST /repos/{o}/{r}/pulls/{n}/reviews            a review by the token's user
    POST /repos/{o}/{r}/pulls/{n}/reviews/{id}/events  submits the user's pending review
    POST /repos/{o}/{r}/pulls/{n}/requested_reviewers
    GET  /repos/{o}/{r}/commits/{sha}/pulls          pull requests (simple: no `merged`)
    GET  /repos/{o}/{r}/contents/{path}?ref=         base64 file, a directory listing, a symlink, or 404
    POST /repos/{o}/{r}/statuses/{sha}
    GET  /orgs/{org}/teams/{slug}/members            paginated, child teams' members included
    GET  /repos/{o}/{r}/collaborators/{user}/permission  a person's role on the repository, or 404

Every request needs `Authorization: token <token>` or `Bearer <token>` of a token the fake
issued (else 401 Bad credentials). `token` is an installation of the school's App (`APP_LOGIN`)
with every permission the fake knows; `mint(permissions)` issues an installation token with
only those (a job's GITHUB_TOKEN, an App token a step creates: see tests/testing/workflow_tokens.py,
which reads them from the workflow file itself); `token_for(login)` gives a token acting as a
person, for reviews sent over HTTP. An installation token lacking the permission an endpoint
needs gets GitHub's answer (403 "Resource not accessible by integration", or 404 for an
organisation's team): see "What each endpoint the fake serves needs" below, with its sources.
Lists honour `per_page` (default 30, max 100) and `page`,
and send a `Link` header with rel="next"/"last" (and "first"/"prev" after page 1) as GitHub does.

As strict as GitHub where approvals depend on it (each documented in the REST reference):
- the files of a pull request are listed up to 3,000; its `changed_files` counts them all;
- an author cannot approve or request changes on their own pull request (422), a review
  request cannot name the author (422), and a user holds one pending review per pull request;
- a pending review has no `submitted_at` and is listed only to its author; submitting it
  gives it the submission time (the fake's clock ticks a minute per submitted review);
- a team's members include the members of its child teams (nested teams);
- a symlink to a file in the repository reads as that file; any other symlink answers with
  `type: symlink` and its target, not content;
- a person's permission (Get repository permissions for a user) gives the legacy base role in
  `permission` (admin, write, read: maintain reads as write, triage as read) and the role itself
  in `role_name`; someone with no role on this private repository, or no such user, is a 404;
- a pull request's commits are listed up to 250 ("Lists a maximum of 250 commits for a pull
  request"), its `commits` counts them all; a push adds the new head to them, a force push
  (`push(..., force=True)`) replaces them;
- an issue comment needs a `body` that is a non-empty string of at most 65,536 characters
  (else 422 Validation Failed, as GitHub answers), on an issue or pull request that exists
  (else 404); comments made are kept in `comments` as (number, user, body);
- a pull request's `head.repo` is the repository its branch is in: a fork's (`add_pull(...,
  head_repo="someone/site")`), or null once that fork is deleted (`head_repo=None`);
- changing a pull request's base branch (`retarget`) is a `base_ref_changed` issue event (GitHub's
  own change when the base branch is deleted, `automatic_base_change_succeeded`) and a
  force push a `head_ref_force_pushed` one, listed by GET issues/{n}/events ("Base reference
  branch of the pull request changed" is in the issue events API, not the timeline's).

Test state is plain data set through methods (`add_pull`, `add_review`, `dismiss_review`,
`set_team`, `set_role`, `set_file`, `set_symlink`, `link_commit`, `retarget`; `fail_next` injects
error answers). State GitHub would refuse (an author's approval) raises `Refused`. What the
client did is recorded in `requests` ((method, raw path with query) for every request, auth
failures included), `statuses`, `review_requests` and `comments`.
`pull_from_git` opens (and pushes to) a pull request of a real Git repository, and
`merge_from_git` records one merged there (merge commit, squash or rebase), with the files,
contents and commit associations GitHub would report for it.

    with FakeGitHub("jcu-media/site") as fake:      # or fake.start() ... fake.stop()
        fake.add_pull(7, "alice", "a" * 40, files=[("content/x.md", "added", None)])
        forge = GitHubForge(fake.repo, fake.token, api_url=fake.url, per_page=2)
"""

from __future__ import annotations

import base64
import datetime
import json
import posixpath
import re
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Iterator

DOCS = "https://docs.github.com/rest"
TOKEN = "ghs_FakeInstallationToken0123456789abcdef"
APP_LOGIN = "wxpub-approvals[bot]"  # who `TOKEN` acts as: the school's GitHub App
DEFAULT_BRANCH = "main"
STATUS_STATES = ("error", "failure", "pending", "success")
MAX_PR_FILES = 3000  # "Responses include a maximum of 3000 files" (List pull requests files)
MAX_PR_COMMITS = 250  # "Lists a maximum of 250 commits for a pull request" (List commits on a pull request)
MAX_COMMENT = 65536  # "body is too long (maximum is 65536 characters)"
# The permissions of an installation token (a workflow's GITHUB_TOKEN is one, of the App
# "github-actions"), by the names a workflow's `permissions:` uses; `members` is the organisation
# permission an App token asks for with `permission-members`. "write" includes "read".
# Scopes GitHub knows but no endpoint of the fake needs are accepted and grant nothing here.
LEVELS = ("none", "read", "write")
SCOPES = frozenset({
    # jobs.<job_id>.permissions (GitHub Actions: "Controlling permissions for GITHUB_TOKEN")
    "actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues", "models",
    "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses",
    # App-only: `metadata` (always granted, read) and the organisation's `members`
    "metadata", "members",
})
FULL_APP = {"contents": "write", "issues": "write", "pull-requests": "write", "statuses": "write", "members": "read"}
_DENIED = "Resource not accessible by integration"

# What each endpoint the fake serves needs of an installation token: any ONE of the (scope, level)
# pairs listed. Facts from GitHub's "Permissions required for GitHub Apps" (docs.github.com/en/rest/
# authentication/permissions-required-for-github-apps; its data, github/docs
# src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json). An endpoint listed under
# two permissions (marked there "additional-permissions") is served with either, as each REST
# reference page says ("at least one of the following permission sets"): a comment on a pull
# request with `pull-requests: write` and no `issues` at all, as actions commenting on pull requests do.
#   GET  repos/{o}/{r}                         Metadata read
#   GET  pulls/{n}                             Pull requests read, or Contents read
#   GET  pulls/{n}/files, pulls/{n}/commits    Pull requests read
#   GET  pulls/{n}/reviews                     Pull requests read
#   POST pulls/{n}/reviews, reviews/{id}/events, pulls/{n}/requested_reviewers   Pull requests write
#   POST issues/{n}/comments                   Issues write, or Pull requests write
#   GET  issues/{n}/events                     Issues read, or Pull requests read
#   GET  commits/{sha}/pulls                   Pull requests read (only)
#   GET  contents/{path}                       Contents read
#   POST statuses/{sha}                        Commit statuses write
#   GET  collaborators/{user}/permission       Metadata read: every token may ask
#   GET  orgs/{org}/teams/{slug}/members       Members read (organisation permission). A GITHUB_TOKEN
#        has no organisation permission (the `permissions:` keys above are the repository's);
#        GitHub then answers 404 Not Found, not 403 (docs/setup.md step 3; reported in
#        actions/github-script#518 and takanome-dev/assign-issue-action#379 for GITHUB_TOKEN).
# A missing repository permission is 403 with the message "Resource not accessible by
# integration" (GitHub's answer to an installation token; a fine-grained PAT reads "... by
# personal access token"). `metadata: read` is every installation token's: the GITHUB_TOKEN table
# lists it for every default, and an App cannot be without it ("Metadata: Read-only is automatic").
# Pushing a ref (refs/wxpub/ledger) needs Contents write; that is git over HTTP, not this REST fake.
_Needs = tuple[tuple[str, str], ...]
_METADATA: _Needs = (("metadata", "read"),)
_PULLS_READ: _Needs = (("pull-requests", "read"),)
_PULLS_WRITE: _Needs = (("pull-requests", "write"),)

_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
_STATES = {state: event for event, state in _EVENTS.items()}
_EPOCH = datetime.datetime(2026, 3, 1, 8, 0)  # the fake's clock starts here
# A repository role and the legacy base role GitHub reports for it in `permission`
_BASE_ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


@dataclass
class _Pull:
    number: int
    author: str
    head_sha: str
    base_sha: str
    base_ref: str
    merged: bool
    merge_commit_sha: str | None
    state: str
    files: list[tuple[str, str, str | None]]
    requested_teams: list[str] = field(default_factory=list)
    merged_at: str | None = None  # when merged (also its closed_at); None: the fake's fixed closing time
    created_at: str = "2026-03-01T07:00:00Z"  # when it was opened
    commits: list[str] = field(default_factory=list)  # its commits' shas, oldest first
    head_repo: str | None = ""  # the fork its branch is in ("": this repository; None: a deleted fork)
    events: list[dict[str, Any]] = field(default_factory=list)  # issue events, oldest first


@dataclass(frozen=True)
class _Request:
    path: str  # without the prefix and the query
    params: dict[str, str]  # from the route pattern
    query: dict[str, str]
    payload: Any  # the JSON body
    user: str  # who the token acts as


_Reply = tuple[int, Any, dict[str, str]]  # status, JSON body, extra headers


@dataclass(frozen=True)
class _Token:
    login: str  # who the token acts as
    # an installation token's permissions (scope -> "read"/"write"); None: a person's token, which
    # acts with that person's own access (the fake does not model a person's role on a request)
    permissions: tuple[tuple[str, str], ...] | None

    def allows(self, needs: _Needs) -> bool:
        if self.permissions is None:
            return True
        held = dict(self.permissions)
        return any(LEVELS.index(held.get(scope, "none")) >= LEVELS.index(level) for scope, level in needs)


class _Answer(Exception):
    """Ends a handler with an HTTP status and a JSON body (GitHub's error shape)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Any = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


class Refused(Exception):
    """Test state that GitHub itself would refuse, with GitHub's answer (status and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub would answer {status}: {message}")
        self.status = status
        self.message = message


class FakeGitHub:
    """One repository on a fake GitHub. Set state, `start()`, point the client at the URL."""

    def __init__(self, repo: str = "jcu-media/site", *, token: str = TOKEN, prefix: str = "") -> None:
        self.repo = repo
        self.owner = repo.split("/")[0]
        self.token = token
        self._tokens: dict[str, _Token] = {}
        self.prefix = prefix.rstrip("/")
        self.requests: list[tuple[str, str]] = []
        self.statuses: list[dict[str, Any]] = []
        self.review_requests: list[tuple[int, list[str]]] = []
        self.comments: list[tuple[int, str, str]] = []  # (issue or pull request number, user, body)
        self._pulls: dict[int, _Pull] = {}
        self._reviews: dict[int, list[dict[str, Any]]] = {}
        self._review_ids = 80000000
        self._teams: dict[tuple[str, str], list[str]] = {}
        self._parents: dict[tuple[str, str], tuple[str, str]] = {}  # child team -> parent team
        self._files: dict[tuple[str, str], bytes] = {}
        self._symlinks: dict[tuple[str, str], str] = {}  # (ref, path) -> target, relative to the link's folder
        self._minutes = 0  # the clock: submitted reviews are a minute apart
        self._commit_pulls: dict[str, list[int]] = {}
        self._faults: list[tuple[int, str, dict[str, str]]] = []
        self._git: Path | None = None  # the real repository behind the fake, once `merge_from_git` names it
        self._user_ids: dict[str, int] = {}
        self._roles: dict[str, tuple[str, str]] = {}  # lower-cased login -> (login, repository role)
        self._lock = threading.RLock()  # re-entrant: an `after_next` action may set state
        self._after: list[tuple[str, str, Callable[[], None]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self._issue(token, APP_LOGIN, FULL_APP)

    # -- state a test sets ---------------------------------------------------------------
    def add_pull(self, number: int, author: str, head_sha: str, base_sha: str = "b" * 40, base_ref: str = "main",
                 merged: bool = False, merge_commit_sha: str | None = None,
                 files: list[tuple[str, str, str | None]] | None = None, state: str | None = None,
                 head_repo: str | None = "") -> None:
        """A pull request. `files` are (path, status, previous_path); `state` defaults to
        "closed" when merged (GitHub never shows a merged pull request as open), else "open";
        `head_repo` is the fork its branch is in ("": this repository, None: a deleted fork)."""
        with self._lock:
            self._pulls[number] = _Pull(number, author, head_sha, base_sha, base_ref, merged, merge_commit_sha,
                                        state or ("closed" if merged else "open"), list(files or []),
                                        commits=[head_sha], head_repo=head_repo)
            self._reviews.setdefault(number, [])

    def add_review(self, number: int, user: str, state: str, commit_id: str | None = None,
                   submitted_at: str | None = None) -> int:
        """A review on pull `number` (state APPROVED, CHANGES_REQUESTED, COMMENTED or PENDING),
        on `commit_id` (default the head), submitted now on the fake's clock unless
        `submitted_at`; returns its id (ids increase, like GitHub's). Raises Refused for what
        GitHub refuses, such as the author approving their own pull request."""
        with self._lock:
            try:
                review = self._create_review(self._pulls[number], user, _STATES.get(state, "") if state != "PENDING"
                                             else None, commit_id, "审核意见")
            except _Answer as answer:
                raise Refused(answer.status, _said(answer.body)) from None
            if submitted_at and review["submitted_at"]:
                review["submitted_at"] = submitted_at
            return int(review["id"])

    def submit_review(self, number: int, review_id: int, event: str) -> None:
        """Submit a pending review (event APPROVE, REQUEST_CHANGES or COMMENT), as its author would."""
        with self._lock:
            review = next(r for r in self._reviews[number] if r["id"] == review_id)
            try:
                self._submit(self._pulls[number], review, review["user"], event)
            except _Answer as answer:
                raise Refused(answer.status, _said(answer.body)) from None

    def token_for(self, login: str) -> str:
        """A token acting as `login` (a person reviewing over HTTP)."""
        token = f"ghp_Fake{abs(hash(login)) % 10**12:012d}{len(self._tokens):04d}Person"
        with self._lock:
            self._tokens[token] = _Token(login, None)
        return token

    def mint(self, permissions: dict[str, str], login: str = "github-actions[bot]") -> str:
        """An installation token with exactly `permissions` (scope -> "read", "write" or "none",
        the names of a workflow's `permissions:`) and `metadata: read`, as GitHub issues a job's
        GITHUB_TOKEN (default `login`) or an App's token (`login` the App's bot)."""
        token = f"ghs_Fake{len(self._tokens):04d}{abs(hash((login, tuple(sorted(permissions.items()))))) % 10**20:020d}"
        self._issue(token, login, permissions)
        return token

    def _issue(self, token: str, login: str, permissions: dict[str, str]) -> None:
        for scope, level in permissions.items():
            if scope not in SCOPES or level not in LEVELS:
                raise ValueError(f"no GitHub token permission {scope}: {level} (scopes {sorted(SCOPES)}, levels {LEVELS})")
        granted = {**{s: lv for s, lv in permissions.items() if lv != "none"}, "metadata": "read"}
        with self._lock:
            self._tokens[token] = _Token(login, tuple(sorted(granted.items())))

    def dismiss_review(self, number: int, review_id: int) -> None:
        with self._lock:
            for review in self._reviews[number]:
                if review["id"] == review_id:
                    if review["state"] == "PENDING":
                        raise Refused(422, "Can not dismiss a pending review")
                    review["state"] = "DISMISSED"
                    return
        raise KeyError(f"no review {review_id} on pull {number}")

    def set_team(self, org: str, slug: str, members: list[str], parent: str | None = None) -> None:
        """A team and its direct members; `parent` (a slug of the same organisation) nests it."""
        key = (org.lower(), slug.lower())
        with self._lock:
            if parent is not None:
                above: tuple[str, str] | None = (org.lower(), parent.lower())
                if above not in self._teams:
                    raise Refused(422, f"Parent team {parent} does not exist")
                while above is not None:  # GitHub refuses a team nested under itself
                    if above == key:
                        raise Refused(422, "Parent team cannot be a child of this team")
                    above = self._parents.get(above)
                self._parents[key] = (org.lower(), parent.lower())
            self._teams[key] = list(members)

    def set_role(self, login: str, role: str) -> None:
        """`login`'s role on the repository: admin, maintain, write, triage or read."""
        if role not in _BASE_ROLES:
            raise Refused(422, f"Invalid role {role!r}: one of {', '.join(_BASE_ROLES)}")
        with self._lock:
            self._roles[login.lower()] = (login, role)

    def set_file(self, ref: str, path: str, data: bytes) -> None:
        with self._lock:
            self._files[(ref, path.strip("/"))] = data

    def set_symlink(self, ref: str, path: str, target: str) -> None:
        """A symlink at `path` pointing to `target` (relative to the link's folder, as git stores it)."""
        with self._lock:
            self._symlinks[(ref, path.strip("/"))] = target

    def push(self, number: int, head_sha: str, files: list[tuple[str, str, str | None]] | None = None,
             *, force: bool = False) -> None:
        """A push to the pull request's branch: a new head (and, if given, a new file list),
        added to its commits, or with `force` the only one left of them. Reviews stay on the
        commits they were made on, as on GitHub."""
        with self._lock:
            pull = self._pulls[number]
            pull.head_sha = head_sha
            pull.commits = [head_sha] if force else [*pull.commits, head_sha]
            if files is not None:
                pull.files = list(files)
            if force:
                self._event(pull, "head_ref_force_pushed", pull.author)

    def retarget(self, number: int, base_ref: str, by: str | None = None,
                 files: list[tuple[str, str, str | None]] | None = None, *, automatic: bool = False) -> None:
        """`by` (default: the author) changes the pull request's base branch to `base_ref`:
        the head stays, the files become those against the new base (if given). `automatic`:
        GitHub did it when the base branch was deleted after its own pull request was merged
        (the event `automatic_base_change_succeeded`)."""
        with self._lock:
            pull = self._pulls[number]
            pull.base_ref = base_ref
            if files is not None:
                pull.files = list(files)
            self._event(pull, "automatic_base_change_succeeded" if automatic else "base_ref_changed",
                        by or pull.author)

    def _event(self, pull: _Pull, event: str, actor: str) -> None:
        event_id = 31000000 + sum(len(p.events) for p in self._pulls.values())
        pull.events.append({"id": event_id, "node_id": f"E_{event_id}",
                            "url": f"{self.url}/repos/{self.repo}/issues/events/{event_id}",
                            "actor": self._user(actor), "event": event, "commit_id": None, "commit_url": None,
                            # the clock's time, without ticking it: the review times tests expect stay as they were
                            "created_at": (_EPOCH + datetime.timedelta(minutes=self._minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "performed_via_github_app": None})

    def after_next(self, method: str, path: str, action: Callable[[], None]) -> None:
        """Run `action` right after answering the next `method` request for `path` (no query):
        what happens on GitHub while a client is between two calls, such as a push."""
        with self._lock:
            self._after.append((method, path, action))

    def link_commit(self, sha: str, number: int) -> None:
        """GET commits/{sha}/pulls lists pull `number`."""
        with self._lock:
            self._commit_pulls.setdefault(sha, []).append(number)

    # -- pull requests in a real Git repository -------------------------------------------
    def pull_from_git(self, number: int, author: str, root: Path, *, head: str, base: str) -> None:
        """A pull request open in the real repository at `root`, as GitHub shows it: `head` is
        its branch's latest commit, `base` the base branch's commit when it was opened (base.sha).
        Like GitHub, the fake lists the files of `merge-base(base, head)..head` and serves any
        file at any commit of the repository through the contents API. Called again with a new
        `head`, it is a push to the pull request's branch: reviews stay on their commits."""
        self._git = root
        files = _changed_files(root, _git(root, "merge-base", base, head).strip(), head)
        with self._lock:
            if number in self._pulls:
                self.push(number, head, files)
            else:
                self.add_pull(number, author, head, base_sha=base, files=files)
            self._pulls[number].commits = _git(root, "rev-list", "--reverse", head, f"^{base}").split()

    def merge_from_git(self, number: int, author: str, root: Path, *, head: str, merge_commit: str, onto: str,
                       base_sha: str | None = None, merged_at: str | None = None,
                       created_at: str | None = None) -> None:
        """A pull request merged in the real repository at `root`, as GitHub records it.

        `head` is the pull request's latest commit (what reviewers approve), `onto` the base
        branch's commit it was merged onto, `merge_commit` what GitHub reports as
        merge_commit_sha: the merge commit, the squashed commit, or the newest commit a rebase
        merge added. Like GitHub, the fake then lists the files of `merge-base(onto, head)..head`,
        serves any file at any commit of the repository through the contents API, associates
        every commit the merge brought to the branch (`git rev-list merge_commit ^onto`) with
        the pull request in commits/{sha}/pulls, and answers 422 for commits the repository
        does not have. `base_sha` is what GitHub reports as base.sha (default `onto`): the base
        branch's commit when the pull request was last updated, which can be older. `merged_at`
        (ISO 8601 UTC) defaults to the fake's fixed closing time, after its default review times;
        `created_at` (when it was opened) to the fake's fixed opening time before them."""
        self._git = root
        files = _changed_files(root, _git(root, "merge-base", onto, head).strip(), head)
        self.add_pull(number, author, head, base_sha=base_sha or onto, merged=True, merge_commit_sha=merge_commit,
                      files=files)
        with self._lock:
            self._pulls[number].merged_at = merged_at
            if created_at:
                self._pulls[number].created_at = created_at
        for sha in _git(root, "rev-list", merge_commit, f"^{onto}").split():
            self.link_commit(sha, number)

    def fail_next(self, status: int, times: int = 1, message: str = "Server Error",
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with `status`, GitHub's error body carrying
        `message`, and `headers` (e.g. X-RateLimit-Reset), after the auth check."""
        with self._lock:
            self._faults.extend([(status, message, dict(headers or {}))] * times)

    def paths(self, method: str = "GET") -> list[str]:
        """The raw paths (with query) of the requests made with `method`, in order."""
        return [path for verb, path in self.requests if verb == method]

    # -- server lifecycle ----------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"
        # a short poll so stop() (shutdown) returns at once rather than after 0.5 s
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- JSON shapes ---------------------------------------------------------------------
    def _user(self, login: str) -> dict[str, Any]:
        user_id = self._user_ids.setdefault(login, 1000 + len(self._user_ids))
        return {"login": login, "id": user_id, "node_id": f"U_{user_id}", "type": "User", "site_admin": False,
                "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}",
                "url": f"{self.url}/users/{login}", "html_url": f"https://github.com/{login}"}

    def _repo_json(self, full_name: str = "") -> dict[str, Any]:
        """This repository, or the fork `full_name` of it."""
        name = full_name or self.repo
        repo_id = 4242 if name == self.repo else 4243 + sum(map(ord, name))
        return {"id": repo_id, "node_id": f"R_{repo_id}", "name": name.split("/")[1], "full_name": name,
                "private": True, "fork": name != self.repo, "owner": self._user(name.split("/")[0]),
                "html_url": f"https://github.com/{name}", "url": f"{self.url}/repos/{name}",
                "default_branch": DEFAULT_BRANCH}

    def _pull_json(self, pull: _Pull, *, full: bool) -> dict[str, Any]:
        """`full` is GET pulls/{n}; lists carry GitHub's "pull-request-simple", without
        `merged` and the counters (a client must use `merged_at`)."""
        closed_at = (pull.merged_at or "2026-03-02T09:00:00Z") if pull.state == "closed" else None
        ref = {"repo": self._repo_json(), "user": self._user(self.owner)}
        body: dict[str, Any] = {
            "url": f"{self.url}/repos/{self.repo}/pulls/{pull.number}", "id": 500000 + pull.number,
            "issue_url": f"{self.url}/repos/{self.repo}/issues/{pull.number}",
            "commits_url": f"{self.url}/repos/{self.repo}/pulls/{pull.number}/commits",
            "comments_url": f"{self.url}/repos/{self.repo}/issues/{pull.number}/comments",
            "node_id": f"PR_{pull.number}", "html_url": f"https://github.com/{self.repo}/pull/{pull.number}",
            "number": pull.number, "state": pull.state, "locked": False, "title": f"Pull request {pull.number}",
            "user": self._user(pull.author), "body": "", "draft": False, "author_association": "MEMBER",
            "created_at": pull.created_at, "updated_at": pull.created_at,
            "closed_at": closed_at, "merged_at": closed_at if pull.merged else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "head": {"label": f"{(pull.head_repo or self.repo).split('/')[0]}:pr-{pull.number}", "ref": f"pr-{pull.number}",
                     "sha": pull.head_sha,
                     "repo": None if pull.head_repo is None else self._repo_json(pull.head_repo),
                     "user": self._user((pull.head_repo or self.repo).split("/")[0])},
            "base": {"label": f"{self.owner}:{pull.base_ref}", "ref": pull.base_ref, "sha": pull.base_sha, **ref},
            "requested_reviewers": [],
            "requested_teams": [{"slug": slug, "name": slug, "id": 7000 + i} for i, slug in enumerate(pull.requested_teams)],
        }
        if full:
            body.update({"merged": pull.merged, "mergeable": None, "merged_by": None, "comments": 0,
                         "review_comments": 0, "commits": len(pull.commits), "additions": 0, "deletions": 0,
                         "changed_files": len(pull.files)})
        return body

    def _review_json(self, number: int, review: dict[str, Any]) -> dict[str, Any]:
        review_id = review["id"]
        body: dict[str, Any] = {
            "id": review_id, "node_id": f"PRR_{review_id}", "user": self._user(review["user"]), "body": "",
            "state": review["state"], "commit_id": review["commit_id"], "author_association": "MEMBER",
            "html_url": f"https://github.com/{self.repo}/pull/{number}#pullrequestreview-{review_id}",
            "pull_request_url": f"{self.url}/repos/{self.repo}/pulls/{number}",
        }
        if review["submitted_at"]:
            body["submitted_at"] = review["submitted_at"]
        return body

    def _commit_json(self, sha: str) -> dict[str, Any]:
        return {"sha": sha, "node_id": f"C_{sha}", "url": f"{self.url}/repos/{self.repo}/commits/{sha}",
                "html_url": f"https://github.com/{self.repo}/commit/{sha}",
                "commit": {"message": "提交", "author": {"name": "editor", "date": "2026-03-01T07:00:00Z"},
                           "committer": {"name": "editor", "date": "2026-03-01T07:00:00Z"}},
                "author": None, "committer": None, "parents": []}

    def _file_json(self, path: str, status: str, previous: str | None) -> dict[str, Any]:
        quoted = urllib.parse.quote(path)
        body: dict[str, Any] = {
            "sha": "f" * 40, "filename": path, "status": status, "additions": 1, "deletions": 0, "changes": 1,
            "blob_url": f"https://github.com/{self.repo}/blob/{'f' * 40}/{quoted}",
            "raw_url": f"https://github.com/{self.repo}/raw/{'f' * 40}/{quoted}",
            "contents_url": f"{self.url}/repos/{self.repo}/contents/{quoted}?ref={'f' * 40}", "patch": "@@ -0,0 +1 @@",
        }
        if previous is not None:
            body["previous_filename"] = previous
        return body

    def _content_json(self, ref: str, path: str, data: bytes | None) -> dict[str, Any]:
        quoted = urllib.parse.quote(path)
        body: dict[str, Any] = {
            "type": "file" if data is not None else "dir", "name": path.rsplit("/", 1)[-1], "path": path,
            "sha": "c" * 40, "size": len(data or b""), "url": f"{self.url}/repos/{self.repo}/contents/{quoted}?ref={ref}",
            "html_url": f"https://github.com/{self.repo}/blob/{ref}/{quoted}", "git_url": None, "download_url": None,
            "_links": {},
        }
        if data is not None:
            encoded = base64.b64encode(data).decode()
            # GitHub wraps the base64 at 60 characters per line
            body.update(encoding="base64", content="\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n")
        return body

    # -- routes --------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], payload: Any, token: _Token) -> _Reply:
        for verb, pattern, needs, handler in self._routes():
            match = re.fullmatch(pattern.replace("{repo}", re.escape(self.repo)), path)
            if verb == method and match:
                if not token.allows(needs):
                    if needs == (("members", "read"),):  # an organisation's teams: GitHub hides them
                        raise _Answer(404, "Not Found")
                    raise _Answer(403, _DENIED)
                return handler(_Request(path, match.groupdict(), query, payload, token.login))
        raise _Answer(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, _Needs, Callable[[_Request], _Reply]]]:
        """(method, path pattern, what the token needs (any one pair: the table at the top), handler)."""
        return [
            ("GET", r"/repos/{repo}", _METADATA, lambda req: (200, self._repo_json(), {})),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)", (("pull-requests", "read"), ("contents", "read")), self._get_pull),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)/files", _PULLS_READ, self._get_files),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)/commits", _PULLS_READ, self._get_commits),
            ("POST", r"/repos/{repo}/issues/(?P<n>\d+)/comments", (("issues", "write"), ("pull-requests", "write")),
             self._post_comment),
            ("GET", r"/repos/{repo}/issues/(?P<n>\d+)/events", (("issues", "read"), ("pull-requests", "read")),
             self._get_events),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)/reviews", _PULLS_READ, self._get_reviews),
            ("POST", r"/repos/{repo}/pulls/(?P<n>\d+)/reviews", _PULLS_WRITE, self._post_review),
            ("POST", r"/repos/{repo}/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)/events", _PULLS_WRITE,
             self._post_review_event),
            ("POST", r"/repos/{repo}/pulls/(?P<n>\d+)/requested_reviewers", _PULLS_WRITE, self._post_review_request),
            ("GET", r"/repos/{repo}/commits/(?P<sha>[^/]+)/pulls", _PULLS_READ, self._get_commit_pulls),
            ("GET", r"/repos/{repo}/contents/?(?P<path>.*)", (("contents", "read"),), self._get_contents),
            ("POST", r"/repos/{repo}/statuses/(?P<sha>[^/]+)", (("statuses", "write"),), self._post_status),
            ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/members", (("members", "read"),), self._get_members),
            ("GET", r"/repos/{repo}/collaborators/(?P<login>[^/]+)/permission", _METADATA, self._get_permission),
        ]

    def _pull(self, req: _Request) -> _Pull:
        pull = self._pulls.get(int(req.params["n"]))
        if pull is None:
            raise _Answer(404, "Not Found")
        return pull

    def _get_pull(self, req: _Request) -> _Reply:
        return 200, self._pull_json(self._pull(req), full=True), {}

    def _get_files(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        return self._page([self._file_json(*f) for f in pull.files[:MAX_PR_FILES]], req)

    def _get_commits(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        return self._page([self._commit_json(sha) for sha in pull.commits[:MAX_PR_COMMITS]], req)

    def _post_comment(self, req: _Request) -> _Reply:
        pull = self._pull(req)  # the fake holds no plain issues: any other number does not exist
        payload = req.payload if isinstance(req.payload, dict) else {}
        body = payload.get("body")
        if not isinstance(body, str) or not body:
            raise _Answer(422, "Validation Failed", errors=[
                {"resource": "IssueComment", "code": "missing_field", "field": "body"}])
        if len(body) > MAX_COMMENT:
            raise _Answer(422, "Validation Failed", errors=[
                {"resource": "IssueComment", "code": "custom", "field": "body",
                 "message": f"body is too long (maximum is {MAX_COMMENT} characters)"}])
        self.comments.append((pull.number, req.user, body))
        comment_id, now = 900000 + len(self.comments), self._now()
        return 201, {"id": comment_id, "node_id": f"IC_{comment_id}", "body": body, "user": self._user(req.user),
                     "url": f"{self.url}/repos/{self.repo}/issues/comments/{comment_id}",
                     "html_url": f"https://github.com/{self.repo}/pull/{pull.number}#issuecomment-{comment_id}",
                     "issue_url": f"{self.url}/repos/{self.repo}/issues/{pull.number}",
                     "author_association": "NONE", "created_at": now, "updated_at": now}, {}

    def _get_events(self, req: _Request) -> _Reply:
        return self._page(list(self._pull(req).events), req)

    def _get_reviews(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        # a pending review is its author's draft: nobody else sees it
        visible = [r for r in self._reviews.get(pull.number, []) if r["state"] != "PENDING" or r["user"] == req.user]
        return self._page([self._review_json(pull.number, r) for r in visible], req)

    def _now(self) -> str:
        self._minutes += 1
        return (_EPOCH + datetime.timedelta(minutes=self._minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _create_review(self, pull: _Pull, user: str, event: str | None, commit_id: str | None,
                       body: str) -> dict[str, Any]:
        """A new review by `user`: pending when `event` is None, else submitted now."""
        if event is not None and event not in _EVENTS:
            raise _Answer(422, "Unprocessable Entity", errors=[f"Unknown review event {event}"])
        if any(r["user"] == user and r["state"] == "PENDING" for r in self._reviews[pull.number]):
            raise _Answer(422, "Unprocessable Entity", errors=["User can only have one pending review per pull request"])
        self._review_ids += 1
        review: dict[str, Any] = {"id": self._review_ids, "user": user, "state": "PENDING",
                                  "commit_id": commit_id or pull.head_sha, "submitted_at": None, "body": body}
        if event is not None:
            self._submit(pull, review, user, event)
        self._reviews[pull.number].append(review)
        return review

    def _submit(self, pull: _Pull, review: dict[str, Any], user: str, event: str) -> None:
        if review["state"] != "PENDING" or review["user"] != user:
            raise _Answer(422, "Unprocessable Entity", errors=["Can not submit a review that is not your pending review"])
        if event not in _EVENTS:
            raise _Answer(422, "Unprocessable Entity", errors=["Review event must be APPROVE, REQUEST_CHANGES or COMMENT"])
        if user.lower() == pull.author.lower() and event == "APPROVE":
            raise _Answer(422, "Unprocessable Entity", errors=["Can not approve your own pull request"])
        if user.lower() == pull.author.lower() and event == "REQUEST_CHANGES":
            raise _Answer(422, "Unprocessable Entity", errors=["Can not request changes on your own pull request"])
        if event != "APPROVE" and not review["body"]:
            raise _Answer(422, "Unprocessable Entity", errors=[f"Body is required for {event}"])
        review.update(state=_EVENTS[event], submitted_at=self._now())

    def _post_review(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        review = self._create_review(pull, req.user, payload.get("event") or None, payload.get("commit_id"),
                                     str(payload.get("body") or ""))
        return 200, self._review_json(pull.number, review), {}

    def _post_review_event(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        review = next((r for r in self._reviews[pull.number] if r["id"] == int(req.params["id"])), None)
        if review is None or (review["state"] == "PENDING" and review["user"] != req.user):
            raise _Answer(404, "Not Found")  # someone else's pending review does not exist for you
        payload = req.payload if isinstance(req.payload, dict) else {}
        if payload.get("body"):
            review["body"] = str(payload["body"])
        self._submit(pull, review, req.user, str(payload.get("event") or ""))
        return 200, self._review_json(pull.number, review), {}

    def _post_review_request(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        teams = [str(slug) for slug in payload.get("team_reviewers") or []]
        if not teams and not payload.get("reviewers"):
            raise _Answer(422, 'Invalid request.\n\nNo subschema in "anyOf" matched.')
        if any(str(login).lower() == pull.author.lower() for login in payload.get("reviewers") or []):
            raise _Answer(422, "Review cannot be requested from pull request author.")
        if any((self.owner.lower(), slug.lower()) not in self._teams for slug in teams):
            raise _Answer(422, "Reviews may only be requested from collaborators. One or more of the teams you "
                               f"specified is not a collaborator of the {self.repo} repository.")
        self.review_requests.append((pull.number, teams))
        pull.requested_teams.extend(slug for slug in teams if slug not in pull.requested_teams)
        return 201, self._pull_json(pull, full=False), {}

    def _get_commit_pulls(self, req: _Request) -> _Reply:
        sha = req.params["sha"]
        if self._git is not None and _git_bytes(self._git, "cat-file", "-e", f"{sha}^{{commit}}") is None:
            raise _Answer(422, f"No commit found for SHA: {sha}")
        numbers = self._commit_pulls.get(sha, [])
        return self._page([self._pull_json(self._pulls[n], full=False) for n in numbers], req)

    def _known_refs(self) -> set[str]:
        refs = {ref for ref, _ in self._files} | {DEFAULT_BRANCH}
        for pull in self._pulls.values():
            refs |= {pull.head_sha, pull.base_sha, pull.base_ref}
        return refs

    def _get_contents(self, req: _Request) -> _Reply:
        ref = req.query.get("ref", DEFAULT_BRANCH)
        path = urllib.parse.unquote(req.params["path"]).strip("/")
        if (ref, path) not in self._files and (ref, path) not in self._symlinks and self._is_git_commit(ref):
            return self._git_contents(ref, path)
        if ref not in self._known_refs():
            raise _Answer(404, f"No commit found for the ref {ref}")
        if (ref, path) in self._symlinks:
            target = self._symlinks[(ref, path)]
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if (ref, resolved) in self._files:  # a link to a file in the repository reads as that file
                return 200, self._content_json(ref, resolved, self._files[(ref, resolved)]), {}
            return 200, self._symlink_json(ref, path, target), {}
        if (ref, path) in self._files:
            return 200, self._content_json(ref, path, self._files[(ref, path)]), {}
        below = sorted({p[len(path):].lstrip("/").split("/")[0] for r, p in self._files
                        if r == ref and (not path or p.startswith(path + "/"))})
        if below:  # a directory: GitHub lists its entries
            return 200, [self._content_json(ref, f"{path}/{name}".strip("/"), None) for name in below], {}
        raise _Answer(404, "Not Found")

    def _is_git_commit(self, ref: str) -> bool:
        return self._git is not None and _git_bytes(self._git, "cat-file", "-e", f"{ref}^{{commit}}") is not None

    def _git_contents(self, ref: str, path: str) -> _Reply:
        """The contents API on the real repository: a file, a directory listing, a symlink
        (read as its target file when that is a file of the repository), or 404."""
        assert self._git is not None
        if path:
            [entry] = _ls_tree(self._git, ref, path) or [None]
            if entry is None:
                raise _Answer(404, "Not Found")
            mode, kind, oid = entry[:3]
            if kind == "blob":
                data = _git_bytes(self._git, "cat-file", "blob", oid) or b""
                if mode != "120000":
                    return 200, self._content_json(ref, path, data), {}
                target = data.decode("utf-8", "replace")
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
                [found] = _ls_tree(self._git, ref, resolved) or [None]
                if found is not None and found[1] == "blob" and found[0] != "120000":
                    return 200, self._content_json(ref, resolved, _git_bytes(self._git, "cat-file", "blob", found[2])), {}
                return 200, self._symlink_json(ref, path, target), {}
            if kind != "tree":
                raise _Answer(404, "Not Found")
        # a directory: its entries, shown without content (as the listing of set files is)
        return 200, [self._content_json(ref, name, None) for *_, name in _ls_tree(self._git, ref, f"{path}/" if path else None)], {}

    def _symlink_json(self, ref: str, path: str, target: str) -> dict[str, Any]:
        quoted = urllib.parse.quote(path)
        return {"type": "symlink", "target": target, "name": path.rsplit("/", 1)[-1], "path": path, "sha": "d" * 40,
                "size": len(target.encode()), "url": f"{self.url}/repos/{self.repo}/contents/{quoted}?ref={ref}",
                "html_url": f"https://github.com/{self.repo}/blob/{ref}/{quoted}", "git_url": None,
                "download_url": None, "_links": {}}

    def _post_status(self, req: _Request) -> _Reply:
        payload = req.payload if isinstance(req.payload, dict) else {}
        if payload.get("state") not in STATUS_STATES:
            raise _Answer(422, "Validation Failed", errors=[
                {"resource": "Status", "code": "custom", "field": "state", "message": "state is not included in the list"}])
        if len(payload.get("description") or "") > 140:
            raise _Answer(422, "Validation Failed", errors=[
                {"resource": "Status", "code": "custom", "field": "description",
                 "message": "description is too long (maximum is 140 characters)"}])
        sha = req.params["sha"]
        self.statuses.append({"sha": sha, **payload})
        status_id = len(self.statuses)
        return 201, {"url": f"{self.url}/repos/{self.repo}/statuses/{sha}", "id": status_id,
                     "node_id": f"SC_{status_id}", "state": payload["state"],
                     "description": payload.get("description"), "target_url": payload.get("target_url"),
                     "context": payload.get("context", "default"), "created_at": "2026-03-01T08:00:00Z",
                     "updated_at": "2026-03-01T08:00:00Z", "creator": self._user("github-actions[bot]")}, {}

    def _get_members(self, req: _Request) -> _Reply:
        key = (req.params["org"].lower(), urllib.parse.unquote(req.params["slug"]).lower())
        if key not in self._teams:
            raise _Answer(404, "Not Found")
        # "Team members will include the members of child teams" (List team members)
        family = [key]
        for team in family:
            family.extend(child for child, parent in self._parents.items() if parent == team)
        logins = dict.fromkeys(login for team in family for login in self._teams[team])
        return self._page([self._user(login) for login in logins], req)

    def _get_permission(self, req: _Request) -> _Reply:
        # logins are case-insensitive; GitHub answers with the login as the user spells it
        known = self._roles.get(urllib.parse.unquote(req.params["login"]).lower())
        if known is None:  # no such user, or none with access to this private repository
            raise _Answer(404, "Not Found")
        login, role = known
        base = _BASE_ROLES[role]
        order = ("read", "triage", "write", "maintain", "admin")
        flags = {level.replace("read", "pull").replace("write", "push"): order.index(level) <= order.index(role)
                 for level in order}
        user = {**self._user(login), "permissions": flags, "role_name": role}
        return 200, {"permission": base, "role_name": role, "user": user}, {}

    def _page(self, items: list[Any], req: _Request) -> _Reply:
        """One page of `items` and GitHub's Link header (absolute URLs, other parameters kept)."""
        try:
            per_page = min(max(int(req.query.get("per_page", 30)), 1), 100)
            page = max(int(req.query.get("page", 1)), 1)
        except ValueError:
            raise _Answer(422, "Invalid pagination parameters") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        links: dict[str, int] = {}
        if page < last:
            links.update(next=page + 1, last=last)
        if page > 1:
            links.update(first=1, prev=page - 1)
        headers = {}
        if links:
            headers["Link"] = ", ".join(
                f'<{self.url}{req.path}?{urllib.parse.urlencode({**req.query, "per_page": per_page, "page": n})}>; rel="{rel}"'
                for rel, n in links.items())
        return 200, items[(page - 1) * per_page:page * per_page], headers

    # -- one request ---------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, authorization: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append((method, raw_path))
            try:
                scheme, _, token = authorization.partition(" ")
                if scheme.lower() not in ("token", "bearer") or token not in self._tokens:
                    raise _Answer(401, "Bad credentials")
                if self._faults:
                    status, message, headers = self._faults.pop(0)
                    return status, _Answer(status, message).body, headers
                split = urllib.parse.urlsplit(raw_path)
                path = split.path
                if self.prefix:
                    if not path.startswith(self.prefix + "/"):
                        raise _Answer(404, "Not Found")
                    path = path[len(self.prefix):]
                query = dict(urllib.parse.parse_qsl(split.query))
                try:
                    payload = json.loads(body) if body else {}
                except ValueError:
                    raise _Answer(400, "Problems parsing JSON") from None
                reply = self._route(method, path, query, payload, self._tokens[token])
                for hook in [h for h in self._after if h[:2] == (method, path)][:1]:
                    self._after.remove(hook)
                    hook[2]()
                return reply
            except _Answer as answer:
                return answer.status, answer.body, {}


def _said(body: Any) -> str:
    """GitHub's explanation in an error body: the first of `errors`, else `message`."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        first = errors[0]
        return str(first.get("message", first) if isinstance(first, dict) else first)
    return str(body.get("message", "")) if isinstance(body, dict) else str(body)


_GIT_STATUSES = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}


def _git_bytes(root: Path, *args: str) -> bytes | None:
    """Output of a git command in `root`, or None when it fails (e.g. no such object)."""
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True)
    return result.stdout if result.returncode == 0 else None


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def _ls_tree(root: Path, ref: str, path: str | None) -> list[tuple[str, str, str, str]]:
    """(mode, type, object id, path) of the entries `git ls-tree` shows for `path` at `ref`
    (the entry itself; a folder's entries when `path` ends in "/"; the root's when None)."""
    listed = (_git_bytes(root, "ls-tree", "-z", ref, *(("--", path) if path else ())) or b"").decode("utf-8", "replace")
    found = []
    for line in filter(None, listed.split("\0")):
        meta, _, name = line.partition("\t")
        mode, kind, oid = meta.split()
        found.append((mode, kind, oid, name))
    return found


def _changed_files(root: Path, base: str, head: str) -> list[tuple[str, str, str | None]]:
    """(path, GitHub status, previous path) of `base..head`, renames detected as GitHub does."""
    fields = _git(root, "diff", "--name-status", "-M", "-z", base, head).split("\0")
    files: list[tuple[str, str, str | None]] = []
    index = 0
    while index < len(fields) and fields[index]:
        letter = fields[index][0]
        if letter in "RC":
            files.append((fields[index + 2], _GIT_STATUSES[letter], fields[index + 1]))
            index += 3
        else:
            files.append((fields[index + 1], _GIT_STATUSES[letter], None))
            index += 2
    return files


def running(repo: str = "jcu-media/site", **options: Any) -> Iterator[FakeGitHub]:
    """A started fake for a pytest fixture: `yield from running()`; stopped afterwards."""
    with FakeGitHub(repo, **options) as fake:
        yield fake


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    server_version = "GitHub.com"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, headers = self.fake.handle(self.command, self.path, self.headers.get("Authorization", ""), body)
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass
