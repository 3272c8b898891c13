"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 for the endpoints wxpub uses.

The real client (pipeline/forge.py, on PyGithub) talks to it over HTTP, so tests cover
URLs, query strings, headers, JSON shapes, pagination and error answers, not mocks.

Base URL: `start()` returns `http://127.0.0.1:PORT` (plus `prefix`, e.g. "/api/v3" to look
like GitHub Enterprise). PyGithub needs no prefix: it keeps whatever path `base_url` has
and puts "/repos/..." after it, so both forms work; the default is none, like api.github.com.

Endpoints (GitHub's documented shapes, trimmed to the fields a client reads):

    GET  /repos/{o}/{r}/pulls/{n}                    pull request (full)
    GET  /repos/{o}/{r}/pulls/{n}/files              changed files, paginated
    GET  /repos/{o}/{r}/pulls/{n}/reviews            reviews, paginated, oldest first
    POST /repos/{o}/{r}/pulls/{n}/requested_reviewers
    GET  /repos/{o}/{r}/commits/{sha}/pulls          pull requests (simple: no `merged`)
    GET  /repos/{o}/{r}/contents/{path}?ref=         base64 file, a directory listing, or 404
    POST /repos/{o}/{r}/statuses/{sha}
    GET  /orgs/{org}/teams/{slug}/members            paginated; 403 when `deny_members`

Every request needs `Authorization: token <token>` or `Bearer <token>` (else 401). Lists
honour `per_page` (default 30, max 100) and `page`, and send a `Link` header with
rel="next"/"last" (and "first"/"prev" after page 1) as GitHub does.

Test state is plain data set through methods (`add_pull`, `add_review`, `dismiss_review`,
`set_team`, `deny_members`, `set_file`, `link_commit`; `fail_next` injects error answers).
What the client did is recorded in `requests` ((method, raw path with query) for every
request, auth failures included), `statuses` and `review_requests`.

    with FakeGitHub("jcu-media/site") as fake:      # or fake.start() ... fake.stop()
        fake.add_pull(7, "alice", "a" * 40, files=[("content/x.md", "added", None)])
        forge = GitHubForge(fake.repo, fake.token, api_url=fake.url, per_page=2)
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Callable, Iterator

DOCS = "https://docs.github.com/rest"
TOKEN = "ghs_FakeInstallationToken0123456789abcdef"
DEFAULT_BRANCH = "main"
STATUS_STATES = ("error", "failure", "pending", "success")


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


@dataclass(frozen=True)
class _Request:
    path: str  # without the prefix and the query
    params: dict[str, str]  # from the route pattern
    query: dict[str, str]
    payload: Any  # the JSON body


_Reply = tuple[int, Any, dict[str, str]]  # status, JSON body, extra headers


class _Answer(Exception):
    """Ends a handler with an HTTP status and a JSON body (GitHub's error shape)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Any = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


class FakeGitHub:
    """One repository on a fake GitHub. Set state, `start()`, point the client at the URL."""

    def __init__(self, repo: str = "jcu-media/site", *, token: str = TOKEN, prefix: str = "") -> None:
        self.repo = repo
        self.owner = repo.split("/")[0]
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.deny_members = False  # team members answer 403, as for a GITHUB_TOKEN
        self.requests: list[tuple[str, str]] = []
        self.statuses: list[dict[str, Any]] = []
        self.review_requests: list[tuple[int, list[str]]] = []
        self._pulls: dict[int, _Pull] = {}
        self._reviews: dict[int, list[dict[str, Any]]] = {}
        self._review_ids = 80000000
        self._teams: dict[tuple[str, str], list[str]] = {}
        self._files: dict[tuple[str, str], bytes] = {}
        self._commit_pulls: dict[str, list[int]] = {}
        self._faults: list[tuple[int, str, dict[str, str]]] = []
        self._user_ids: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- state a test sets ---------------------------------------------------------------
    def add_pull(self, number: int, author: str, head_sha: str, base_sha: str = "b" * 40, base_ref: str = "main",
                 merged: bool = False, merge_commit_sha: str | None = None,
                 files: list[tuple[str, str, str | None]] | None = None, state: str | None = None) -> None:
        """A pull request. `files` are (path, status, previous_path); `state` defaults to
        "closed" when merged (GitHub never shows a merged pull request as open), else "open"."""
        with self._lock:
            self._pulls[number] = _Pull(number, author, head_sha, base_sha, base_ref, merged, merge_commit_sha,
                                        state or ("closed" if merged else "open"), list(files or []))
            self._reviews.setdefault(number, [])

    def add_review(self, number: int, user: str, state: str, commit_id: str, submitted_at: str | None = None) -> int:
        """A review on pull `number`, after the ones before; returns its id (ids increase,
        like GitHub's). PENDING reviews have no submitted_at, as on GitHub."""
        with self._lock:
            self._review_ids += 1
            reviews = self._reviews.setdefault(number, [])
            when = submitted_at or f"2026-03-01T08:{len(reviews) % 60:02d}:00Z"
            reviews.append({"id": self._review_ids, "user": user, "state": state, "commit_id": commit_id,
                            "submitted_at": None if state == "PENDING" else when})
            return self._review_ids

    def dismiss_review(self, number: int, review_id: int) -> None:
        with self._lock:
            for review in self._reviews[number]:
                if review["id"] == review_id:
                    review["state"] = "DISMISSED"
                    return
        raise KeyError(f"no review {review_id} on pull {number}")

    def set_team(self, org: str, slug: str, members: list[str]) -> None:
        with self._lock:
            self._teams[(org.lower(), slug.lower())] = list(members)

    def set_file(self, ref: str, path: str, data: bytes) -> None:
        with self._lock:
            self._files[(ref, path.strip("/"))] = data

    def link_commit(self, sha: str, number: int) -> None:
        """GET commits/{sha}/pulls lists pull `number`."""
        with self._lock:
            self._commit_pulls.setdefault(sha, []).append(number)

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

    def _repo_json(self) -> dict[str, Any]:
        return {"id": 4242, "node_id": "R_4242", "name": self.repo.split("/")[1], "full_name": self.repo,
                "private": True, "owner": self._user(self.owner), "html_url": f"https://github.com/{self.repo}",
                "url": f"{self.url}/repos/{self.repo}", "default_branch": DEFAULT_BRANCH}

    def _pull_json(self, pull: _Pull, *, full: bool) -> dict[str, Any]:
        """`full` is GET pulls/{n}; lists carry GitHub's "pull-request-simple", without
        `merged` and the counters (a client must use `merged_at`)."""
        closed_at = "2026-03-02T09:00:00Z" if pull.state == "closed" else None
        ref = {"repo": self._repo_json(), "user": self._user(self.owner)}
        body: dict[str, Any] = {
            "url": f"{self.url}/repos/{self.repo}/pulls/{pull.number}", "id": 500000 + pull.number,
            "node_id": f"PR_{pull.number}", "html_url": f"https://github.com/{self.repo}/pull/{pull.number}",
            "number": pull.number, "state": pull.state, "locked": False, "title": f"Pull request {pull.number}",
            "user": self._user(pull.author), "body": "", "draft": False, "author_association": "MEMBER",
            "created_at": "2026-03-01T07:00:00Z", "updated_at": "2026-03-01T07:00:00Z",
            "closed_at": closed_at, "merged_at": closed_at if pull.merged else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "head": {"label": f"{self.owner}:pr-{pull.number}", "ref": f"pr-{pull.number}", "sha": pull.head_sha, **ref},
            "base": {"label": f"{self.owner}:{pull.base_ref}", "ref": pull.base_ref, "sha": pull.base_sha, **ref},
            "requested_reviewers": [],
            "requested_teams": [{"slug": slug, "name": slug, "id": 7000 + i} for i, slug in enumerate(pull.requested_teams)],
        }
        if full:
            body.update({"merged": pull.merged, "mergeable": None, "merged_by": None, "comments": 0,
                         "review_comments": 0, "commits": 1, "additions": 0, "deletions": 0,
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
    def _route(self, method: str, path: str, query: dict[str, str], payload: Any) -> _Reply:
        for verb, pattern, handler in self._routes():
            match = re.fullmatch(pattern.replace("{repo}", re.escape(self.repo)), path)
            if verb == method and match:
                return handler(_Request(path, match.groupdict(), query, payload))
        raise _Answer(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[[_Request], _Reply]]]:
        return [
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)", self._get_pull),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)/files", self._get_files),
            ("GET", r"/repos/{repo}/pulls/(?P<n>\d+)/reviews", self._get_reviews),
            ("POST", r"/repos/{repo}/pulls/(?P<n>\d+)/requested_reviewers", self._post_review_request),
            ("GET", r"/repos/{repo}/commits/(?P<sha>[^/]+)/pulls", self._get_commit_pulls),
            ("GET", r"/repos/{repo}/contents/?(?P<path>.*)", self._get_contents),
            ("POST", r"/repos/{repo}/statuses/(?P<sha>[^/]+)", self._post_status),
            ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/members", self._get_members),
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
        return self._page([self._file_json(*f) for f in pull.files], req)

    def _get_reviews(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        return self._page([self._review_json(pull.number, r) for r in self._reviews.get(pull.number, [])], req)

    def _post_review_request(self, req: _Request) -> _Reply:
        pull = self._pull(req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        teams = [str(slug) for slug in payload.get("team_reviewers") or []]
        if not teams and not payload.get("reviewers"):
            raise _Answer(422, 'Invalid request.\n\nNo subschema in "anyOf" matched.')
        if any((self.owner.lower(), slug.lower()) not in self._teams for slug in teams):
            raise _Answer(422, "Reviews may only be requested from collaborators. One or more of the teams you "
                               f"specified is not a collaborator of the {self.repo} repository.")
        self.review_requests.append((pull.number, teams))
        pull.requested_teams.extend(slug for slug in teams if slug not in pull.requested_teams)
        return 201, self._pull_json(pull, full=False), {}

    def _get_commit_pulls(self, req: _Request) -> _Reply:
        numbers = self._commit_pulls.get(req.params["sha"], [])
        return self._page([self._pull_json(self._pulls[n], full=False) for n in numbers], req)

    def _known_refs(self) -> set[str]:
        refs = {ref for ref, _ in self._files} | {DEFAULT_BRANCH}
        for pull in self._pulls.values():
            refs |= {pull.head_sha, pull.base_sha, pull.base_ref}
        return refs

    def _get_contents(self, req: _Request) -> _Reply:
        ref = req.query.get("ref", DEFAULT_BRANCH)
        if ref not in self._known_refs():
            raise _Answer(404, f"No commit found for the ref {ref}")
        path = urllib.parse.unquote(req.params["path"]).strip("/")
        if (ref, path) in self._files:
            return 200, self._content_json(ref, path, self._files[(ref, path)]), {}
        below = sorted({p[len(path):].lstrip("/").split("/")[0] for r, p in self._files
                        if r == ref and (not path or p.startswith(path + "/"))})
        if below:  # a directory: GitHub lists its entries
            return 200, [self._content_json(ref, f"{path}/{name}".strip("/"), None) for name in below], {}
        raise _Answer(404, "Not Found")

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
        if self.deny_members:
            # what a workflow's GITHUB_TOKEN gets: it has no organization permissions
            raise _Answer(403, "Resource not accessible by integration")
        key = (req.params["org"].lower(), urllib.parse.unquote(req.params["slug"]).lower())
        if key not in self._teams:
            raise _Answer(404, "Not Found")
        return self._page([self._user(login) for login in self._teams[key]], req)

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
                if scheme.lower() not in ("token", "bearer") or token != self.token:
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
                return self._route(method, path, query, payload)
            except _Answer as answer:
                return answer.status, answer.body, {}


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
