"""The forge (GitHub) as the approval and publishing steps need it, behind one small interface.

`Forge` is what the pipeline codes against; `GitHubForge` implements it on PyGithub, a
maintained GitHub REST client. (githubkit was the first choice, but 0.16.1 fails to import
here: it allows hishel 2.0.0, which is installed, yet imports `hishel.CachePolicy`, which
2.0.0 does not have.) Everything leaves here as plain frozen values or as `ForgeError`, with a
Chinese message saying what a person should do and the token redacted.

PyGithub is run lazily (no GET of the repository, organisation or commit before the call
we actually need), without its courtesy pauses between requests (a run makes a handful of
serial calls, far from GitHub's secondary limits) and with a bounded retry: 5xx and
network errors are retried `retries` times, and a rate-limit wait is capped so a CI job
fails with advice instead of sleeping for an hour.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping, Protocol, TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import BadCredentialsException, RateLimitExceededException, UnknownObjectException
from github.PullRequest import PullRequest as GhPullRequest

from pipeline.errors import UserError

GITHUB_API = "https://api.github.com"
STATUS_STATES = ("error", "failure", "pending", "success")
MAX_STATUS_DESCRIPTION = 140  # GitHub answers 422 to a longer commit-status description
MAX_RATE_LIMIT_WAIT = 120  # seconds a run may wait for a rate limit to reset
MAX_PR_FILES = 3000  # GitHub lists at most this many files of a pull request, however many it changes
T = TypeVar("T")

# PyGithub sets its package logger to INFO with its own stderr handler at import, so every
# 403 and retry would print an English line next to our message; ForgeError says it all.
logging.getLogger("github").setLevel(logging.WARNING)

_TOKEN_HINT = ("检查 CI secret WXPUB_FORGE_TOKEN(未设置时使用 GITHUB_TOKEN)是否正确、是否过期;"
               "GitHub App 安装令牌一小时后失效,需在任务开始时重新生成")
_UNREACHABLE_HINT = ("GitHub 暂时不可用或网络不通:请稍后重跑该任务(可在 githubstatus.com 查看 GitHub 状态);"
                     "若使用 GitHub Enterprise,请检查 GITHUB_API_URL 是否指向 https://主机名/api/v3")
_MEMBERSHIP_HINT = ("工作流自带的 GITHUB_TOKEN 不能读取组织的团队成员。请为学校的 GitHub 组织安装一个 GitHub App,"
                    "授予组织权限「Members: read」,在工作流中用它生成安装令牌;或使用带 read:org 权限的令牌。"
                    "把令牌放进 CI secret WXPUB_FORGE_TOKEN。也请核对团队名(@组织/团队)是否写对")


@dataclass(frozen=True)
class PullRequest:
    number: int
    author: str  # login as GitHub spells it; "ghost" for a deleted account
    head_sha: str
    base_sha: str
    base_ref: str  # the target branch name, e.g. "main"
    merged: bool
    merge_commit_sha: str | None  # only when merged (GitHub's test-merge commit of an open PR is not reported)
    state: str  # open | closed
    url: str  # the page a person opens (html_url)
    # How many files GitHub counts as changed; None where GitHub's answer lacks it (the list
    # answers of commits/{sha}/pulls). The file list stops at MAX_PR_FILES, this count does not.
    changed_files: int | None = None
    merged_at: str = ""  # ISO 8601 UTC, as Review.submitted_at; "" unless merged
    created_at: str = ""  # ISO 8601 UTC: when it was opened (wxpub report's timings)
    default_branch: str = ""  # the repository's default branch, as the base repository names it


@dataclass(frozen=True)
class ChangedFile:
    path: str
    previous_path: str | None  # the old path of a renamed file
    status: str  # added | modified | removed | renamed


@dataclass(frozen=True)
class Review:
    id: int
    user: str  # login as GitHub spells it; "ghost" for a deleted account
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str  # the head commit the review was made on
    submitted_at: str  # ISO 8601 UTC ("2026-03-01T08:00:00Z"); "" for a PENDING review


class ForgeError(UserError):
    """A forge call failed; the message and hint say what a person should do (no token)."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status  # the HTTP status; None for a network error or 5xx beyond the retries


class MembershipUnavailable(ForgeError):
    """Team membership cannot be read (403/404): the token lacks read:org / Members: read."""


class NotRegularFile(ForgeError):
    """The path holds something other than a file or a directory: a symlink whose target is not
    a file in the repository, or a submodule. GitHub does not give its content."""


class Forge(Protocol):
    def pull_request(self, number: int) -> PullRequest: ...

    def changed_files(self, number: int) -> list[ChangedFile]: ...  # all pages

    def reviews(self, number: int) -> list[Review]: ...  # all pages, in submission order

    def team_members(self, team: str) -> frozenset[str]: ...  # team as "@org/slug"; logins lower-cased

    def pulls_for_commit(self, sha: str) -> list[PullRequest]: ...

    def file_content(self, path: str, ref: str) -> bytes | None: ...  # None: no such file; NotRegularFile

    def set_status(self, sha: str, state: str, context: str, description: str, target_url: str = "") -> None: ...

    def request_reviewers(self, number: int, teams: list[str]) -> None: ...


# GitHub also reports "copied", "changed" (mode only) and "unchanged"; the pipeline knows four
_STATUSES = {"added": "added", "copied": "added", "modified": "modified", "changed": "modified",
             "unchanged": "modified", "removed": "removed", "renamed": "renamed"}
_TEAM = re.compile(r"@?(?P<org>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/(?P<slug>[A-Za-z0-9][A-Za-z0-9._-]*)")
_SECRETISH = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})|"
                        r"(?<=[Tt]oken )\S{8,}|(?<=[Bb]earer )\S{8,}")


def parse_team(team: str) -> tuple[str, str]:
    """"@org/slug" (as in CODEOWNERS) -> ("org", "slug"); slugs are lower-case on GitHub."""
    match = _TEAM.fullmatch(team.strip())
    if not match:
        raise ForgeError(f"团队「{team}」的写法不对", hint="团队要写成 @组织/团队 的形式,例如 @jcu-media/editors")
    return match["org"], match["slug"].lower()


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # PyGithub returns aware datetimes; be safe with naive ones
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _server_message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")


class GitHubForge:
    """`Forge` on PyGithub for one repository ("owner/name") and one token."""

    def __init__(self, repository: str, token: str, *, api_url: str = GITHUB_API, per_page: int = 100,
                 retries: int = 3) -> None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise UserError(f"仓库名「{repository}」不是 owner/name 的形式",
                            hint="GITHUB_REPOSITORY 应形如 jcu-media/site(GitHub Actions 会自动设置)")
        if not token:
            raise UserError("没有访问 GitHub 的令牌", hint="设置 CI secret WXPUB_FORGE_TOKEN,或在工作流中提供 GITHUB_TOKEN")
        if not re.match(r"https?://[^/]+", api_url):
            raise UserError(f"GITHUB_API_URL「{api_url}」不是 http(s) 地址",
                            hint="github.com 用 https://api.github.com;GitHub Enterprise 用 https://主机名/api/v3")
        if not 1 <= per_page <= 100:
            raise ValueError(f"per_page must be 1..100 (GitHub's maximum), not {per_page}")
        self.repository = repository
        self.owner = repository.split("/")[0]
        self._token = token
        self._github = Github(
            auth=Auth.Token(token), base_url=api_url.rstrip("/"), per_page=per_page, user_agent="wxpub",
            retry=GithubRetry(total=retries, backoff_factor=1, max_rate_limit_wait=MAX_RATE_LIMIT_WAIT),
            lazy=True, seconds_between_requests=None, seconds_between_writes=None,
        )
        self._repo = self._github.get_repo(repository)

    # -- errors ---------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "***")
        return _SECRETISH.sub("***", text)

    def _error(self, cls: type[ForgeError], message: str, hint: str, status: int | None) -> ForgeError:
        return cls(self._redact(message), hint=self._redact(hint), status=status)

    def _call(self, what: str, fn: Callable[[], T], *, permission: str, missing: str = "", invalid: str = "") -> T:
        """Run one forge operation; turn every failure into a ForgeError saying what to do.

        `what` names the operation ("读取合并请求 #12"), `permission` the token permission it
        needs, `missing` what a 404 most likely means, `invalid` what a 422 most likely means."""
        try:
            return fn()
        except ForgeError:
            raise
        except BadCredentialsException as exc:
            raise self._error(ForgeError, f"GitHub 拒绝了令牌(401),无法{what}", _TOKEN_HINT, exc.status) from None
        except RateLimitExceededException as exc:
            raise self._error(ForgeError, f"GitHub API 调用次数已达上限,无法{what}",
                              "请等待限额恢复(每小时)后重跑;GitHub App 安装令牌的限额高于个人令牌", exc.status) from None
        except GithubException as exc:
            said = _server_message(exc)
            detail = f"(HTTP {exc.status}: {said})" if said else f"(HTTP {exc.status})"
            if exc.status == 403:
                hint = f"令牌权限不足:{permission}"
            elif exc.status == 404:
                hint = missing or f"请核对仓库 {self.repository};令牌无权访问私有仓库时 GitHub 也回答 404"
            elif exc.status == 422:
                hint = invalid or "GitHub 不接受这次请求的内容(见上面 GitHub 的说明);若看不懂,请把这条信息交给维护者"
            elif exc.status >= 500:
                hint = _UNREACHABLE_HINT
            else:
                hint = "请稍后重试;若持续出现,请把这条信息交给维护者"
            raise self._error(ForgeError, f"GitHub 接口调用失败,无法{what}{detail}", hint, exc.status) from None
        except requests.exceptions.RetryError:  # 5xx (or rate limits) that outlived the retries
            raise self._error(ForgeError, f"GitHub 连续出错,重试后仍未能{what}", _UNREACHABLE_HINT, None) from None
        except requests.RequestException as exc:  # connection refused, DNS, timeouts, TLS
            raise self._error(ForgeError, f"无法连接 GitHub,未能{what}({type(exc).__name__}: {exc})",
                              _UNREACHABLE_HINT, None) from None

    # -- reading --------------------------------------------------------------------------
    def _pull(self, pr: GhPullRequest, *, full: bool = False) -> PullRequest:
        # merged_at, not `merged`: list answers (commits/{sha}/pulls) lack `merged` and the
        # counters, and PyGithub would fetch every pull request again just to fill them in
        merged = pr.merged_at is not None
        return PullRequest(
            number=pr.number, author=pr.user.login if pr.user else "ghost", head_sha=pr.head.sha,
            base_sha=pr.base.sha, base_ref=pr.base.ref, merged=merged,
            merge_commit_sha=(pr.merge_commit_sha or None) if merged else None, state=pr.state, url=pr.html_url,
            changed_files=pr.changed_files if full else None,
            merged_at=_iso(pr.merged_at), created_at=_iso(pr.created_at),
            default_branch=str(pr.base.repo.default_branch or ""),
        )

    def pull_request(self, number: int) -> PullRequest:
        return self._call(f"读取合并请求 #{number}", lambda: self._pull(self._repo.get_pull(number), full=True),
                          permission="需要仓库权限「Pull requests: read」",
                          missing=f"仓库 {self.repository} 中没有合并请求 #{number}(或令牌无权访问该仓库)")

    def changed_files(self, number: int) -> list[ChangedFile]:
        """The changed files, all pages. GitHub lists at most MAX_PR_FILES of them: compare
        with the pull request's `changed_files` to know whether this is all."""
        def fetch() -> list[ChangedFile]:
            return [ChangedFile(path=f.filename, previous_path=f.previous_filename or None,
                                status=_STATUSES.get(f.status, "modified"))
                    for f in self._repo.get_pull(number).get_files()]
        return self._call(f"读取合并请求 #{number} 的改动文件", fetch, permission="需要仓库权限「Pull requests: read」",
                          missing=f"仓库 {self.repository} 中没有合并请求 #{number}")

    def reviews(self, number: int) -> list[Review]:
        """Every review, all pages, in the order GitHub lists them: oldest submission first."""
        def fetch() -> list[Review]:
            return [Review(id=r.id, user=r.user.login if r.user else "ghost", state=r.state,
                           commit_id=r.commit_id or "", submitted_at=_iso(r.submitted_at))
                    for r in self._repo.get_pull(number).get_reviews()]
        return self._call(f"读取合并请求 #{number} 的审核", fetch, permission="需要仓库权限「Pull requests: read」",
                          missing=f"仓库 {self.repository} 中没有合并请求 #{number}")

    def team_members(self, team: str) -> frozenset[str]:
        """The lower-cased logins of a team ("@org/slug"), all pages.

        Raises MembershipUnavailable when GitHub answers 403 or 404: a workflow's GITHUB_TOKEN
        cannot read organisation teams at all, and GitHub hides teams it may not show behind
        404, so both mean "this token cannot tell who is in the team"."""
        org, slug = parse_team(team)

        def fetch() -> frozenset[str]:
            try:
                members = self._github.get_organization(org).get_team_by_slug(slug).get_members()
                return frozenset(user.login.lower() for user in members)
            except RateLimitExceededException:
                raise
            except GithubException as exc:
                if exc.status in (403, 404):
                    raise self._error(MembershipUnavailable, f"无法读取团队 @{org}/{slug} 的成员(HTTP {exc.status})",
                                      _MEMBERSHIP_HINT, exc.status) from None
                raise
        return self._call(f"读取团队 @{org}/{slug} 的成员", fetch, permission="需要组织权限「Members: read」(read:org)")

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """The pull requests GitHub associates with a commit (merged ones for a commit on the
        default branch, open ones otherwise): GET /repos/{o}/{r}/commits/{sha}/pulls."""
        return self._call(f"查找提交 {sha[:12]} 所属的合并请求",
                          lambda: [self._pull(pr) for pr in self._repo.get_commit(sha).get_pulls()],
                          permission="需要仓库权限「Contents: read」与「Pull requests: read」",
                          missing=f"仓库 {self.repository} 中没有提交 {sha}")

    def file_content(self, path: str, ref: str) -> bytes | None:
        """A file's bytes at `ref`; None when there is no file at that path (404, or a directory).

        An unknown `ref` is an error, not an absent file. A symlink to a file in the repository
        reads as that file (GitHub answers with the target's content); any other symlink, or a
        submodule, raises NotRegularFile: something is there, but not a file to read. Files over
        1 MB are refused: the contents API does not inline them."""
        def fetch() -> bytes | None:
            try:
                found = self._repo.get_contents(path, ref=ref)
            except UnknownObjectException as exc:
                if "No commit found" in _server_message(exc):
                    raise  # the ref does not exist: say so rather than "no file"
                return None
            if isinstance(found, list) or found.type == "dir":
                return None
            if found.type != "file":
                raise self._error(NotRegularFile, f"{ref} 版本的 {path} 不是普通文件(GitHub 报告为 {found.type})",
                                  "文章和配置须是仓库中的普通文件,不能是指向仓库之外的符号链接或子模块", None)
            if found.encoding != "base64":
                raise self._error(ForgeError, f"文件 {path} 超过 1 MB,无法通过 GitHub 内容接口读取",
                                  "配置与规则文件应保持在 1 MB 以内", None)
            return found.decoded_content
        return self._call(f"读取 {ref} 版本的文件 {path}", fetch, permission="需要仓库权限「Contents: read」",
                          missing=f"仓库 {self.repository} 中没有分支或提交 {ref}")

    # -- writing --------------------------------------------------------------------------
    def set_status(self, sha: str, state: str, context: str, description: str, target_url: str = "") -> None:
        """A commit status (what branch protection can require). The description is cut to
        GitHub's 140 characters so a long finding never makes the status call itself fail."""
        if state not in STATUS_STATES:
            raise ValueError(f"commit status state must be one of {STATUS_STATES}, not {state!r}")
        if len(description) > MAX_STATUS_DESCRIPTION:
            description = description[:MAX_STATUS_DESCRIPTION - 1] + "…"
        commit = self._repo.get_commit(sha)

        def post() -> None:
            if target_url:
                commit.create_status(state, target_url=target_url, description=description, context=context)
            else:
                commit.create_status(state, description=description, context=context)
        self._call(f"为提交 {sha[:12]} 设置状态 {context}", post,
                   permission="需要仓库权限「Commit statuses: write」(工作流中 permissions: statuses: write)",
                   missing=f"仓库 {self.repository} 中没有提交 {sha}")

    def request_reviewers(self, number: int, teams: list[str]) -> None:
        """Ask teams to review. Teams are "@org/slug" or bare slugs; they must belong to the
        repository's organisation and have access to the repository (GitHub answers 422 otherwise)."""
        slugs: list[str] = []
        for team in teams:
            org, slug = parse_team(team) if "/" in team else (self.owner, team.lstrip("@").lower())
            if org.lower() != self.owner.lower():
                raise ForgeError(f"团队 {team} 不属于仓库 {self.repository} 所在的组织 {self.owner}",
                                 hint="只能请求本组织的团队审核;请在 policies.yaml 中改用本组织的团队")
            if slug not in slugs:
                slugs.append(slug)
        if not slugs:
            return
        self._call(f"为合并请求 #{number} 请求团队审核 {', '.join(slugs)}",
                   lambda: self._repo.get_pull(number).create_review_request(team_reviewers=slugs),
                   permission="需要仓库权限「Pull requests: write」",
                   missing=f"仓库 {self.repository} 中没有合并请求 #{number}",
                   invalid=f"被请求的团队须属于组织 {self.owner} 且对仓库 {self.repository} 至少有读权限:"
                           "请在仓库设置「Collaborators and teams」中加入该团队,或核对团队名")


def forge_from_env(environ: Mapping[str, str]) -> GitHubForge:
    """The forge for this CI run: GITHUB_REPOSITORY, WXPUB_FORGE_TOKEN (else GITHUB_TOKEN),
    GITHUB_API_URL (GitHub Enterprise; default api.github.com)."""
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    if not repository:
        raise UserError("环境变量 GITHUB_REPOSITORY 未设置",
                        hint="GitHub Actions 会自动设置它;在别处运行时请设为 owner/name,例如 jcu-media/site")
    token = environ.get("WXPUB_FORGE_TOKEN", "").strip() or environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UserError("环境变量 WXPUB_FORGE_TOKEN 与 GITHUB_TOKEN 均未设置,无法访问 GitHub",
                        hint="在工作流中设置 env: GITHUB_TOKEN: ${{ github.token }};读取团队成员需要在 WXPUB_FORGE_TOKEN 中"
                             "提供有「Members: read」(read:org)权限的令牌")
    api_url = environ.get("GITHUB_API_URL", "").strip() or GITHUB_API
    return GitHubForge(repository, token, api_url=api_url)
