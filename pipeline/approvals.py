"""Staged approvals (R1, R3, R4): every stage a change needs must approve its latest commit.

GitHub's "require review from Code Owners" is met by one approval from any one owner; a
school needs "department AND publicity office AND, for 通知公告, a school leader". This
module decides which stages a pull request needs (from the base branch's policy: a pull
request cannot lower its own bar) and whether each is met, from reviews read through the
forge API. It never runs or reads the pull request's code, only its files as data.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import yaml

from pipeline.content import ARTICLE_FILE, CONTENT_DIR, Article
from pipeline.forge import ChangedFile, Forge, PullRequest, Review
from pipeline.policies import ARTICLE_DEPARTMENT, Policies

GOVERNING = "governing"  # the stage of policy, workflow, CODEOWNERS and pipeline changes
RETRACTION = "retraction"  # the stage of taking an article down: the account's operator

ReadFile = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class StageNeed:
    """One stage one pull request needs, and which of its files need it."""

    stage: str  # stage id, or GOVERNING / RETRACTION
    name: str  # shown to reviewers
    department: str  # whose reviewers approve
    teams: tuple[str, ...]
    min_approvals: int
    paths: tuple[str, ...]


@dataclass(frozen=True)
class StageResult:
    need: StageNeed
    approved_by: tuple[str, ...]
    blocked_by: tuple[str, ...]  # members with an outstanding "changes requested"
    can_approve: tuple[str, ...] = ()  # members who could still approve: who is still needed

    @property
    def satisfied(self) -> bool:
        return not self.blocked_by and len(self.approved_by) >= self.need.min_approvals


@dataclass(frozen=True)
class Verdict:
    pr: PullRequest
    results: tuple[StageResult, ...]

    @property
    def approved(self) -> bool:
        return all(r.satisfied for r in self.results)

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(user for r in self.results for user in r.approved_by))

    def next_stage(self) -> StageResult | None:
        """The first stage not yet met, once every stage before it is (stages go in order)."""
        return next((r for r in self.results if not r.satisfied), None)


# -- which stages --------------------------------------------------------------------------


def _front_matter(data: bytes | None) -> dict[str, object]:
    """The front matter of an index.md read from the forge, as data; {} when unreadable."""
    if not data:
        return {}
    text = data.decode("utf-8", errors="replace")
    if not text.startswith("---\n"):
        return {}
    block = text[4:].split("\n---", 1)[0]
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def stages_needed(policies: Policies, files: list[ChangedFile], head: ReadFile, base: ReadFile) -> list[StageNeed]:
    """The stages a set of changed files needs, in approval order, merged per (stage, department)."""
    needs: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str]] = []

    def need(stage: str, department: str, path: str) -> None:
        key = (stage, department)
        if key not in needs:
            needs[key] = []
            order.append(key)
        needs[key].append(path)

    bundles: dict[str, ChangedFile] = {}
    for changed in files:
        for path in filter(None, (changed.path, changed.previous_path)):
            parts = PurePosixPath(path).parts
            article = (len(parts) >= 5 and parts[0] == CONTENT_DIR and parts[1] in policies.accounts
                       and parts[2] in policies.departments)
            if article:
                bundles.setdefault(str(PurePosixPath(*parts[:4])), changed)
            else:
                need(GOVERNING, policies.governing_body, path)
    for bundle in sorted(bundles):
        _article_stages(policies, bundle, head, base, need)
    return [_make_need(policies, stage, department, tuple(dict.fromkeys(needs[(stage, department)])))
            for stage, department in sorted(order, key=lambda key: _rank(policies, key))]


def _article_stages(policies: Policies, bundle: str, head: ReadFile, base: ReadFile,
                    need: Callable[[str, str, str], None]) -> None:
    _, account_id, department, _ = PurePosixPath(bundle).parts
    account = policies.accounts[account_id]
    index = f"{bundle}/{ARTICLE_FILE}"
    new, old = head(index), base(index)
    new_fm, old_fm = _front_matter(new), _front_matter(old)
    if old is not None and (new is None or new_fm.get("retracted") is True):
        need(RETRACTION, account.operator, bundle)  # taking an article down: the operator decides (R15)
        if new is None:
            return
    for stage_id in account.approval_stages:
        stage = policies.stages[stage_id]
        need(stage_id, department if stage.department == ARTICLE_DEPARTMENT else stage.department, bundle)
    categories = {fm.get("category") for fm in (new_fm, old_fm)}  # moving out of 通知公告 still needs its stage
    for category in sorted(c for c in categories if isinstance(c, str) and c in policies.categories):
        for stage_id in policies.categories[category].extra_stages:
            stage = policies.stages[stage_id]
            need(stage_id, department if stage.department == ARTICLE_DEPARTMENT else stage.department, bundle)
    text = (new or b"").decode("utf-8", errors="replace")
    for rule in policies.custom_rules:  # "if the text mentions X, stage Z is required"
        if rule.type == "conditional" and rule.require_stage and any(t in text for t in rule.tokens):
            stage = policies.stages[rule.require_stage]
            need(rule.require_stage, department if stage.department == ARTICLE_DEPARTMENT else stage.department, bundle)


def _rank(policies: Policies, key: tuple[str, str]) -> tuple[int, int, str]:
    stage, department = key
    ids = list(policies.stages)
    if stage in ids:
        return (0, ids.index(stage), department)
    return (1 if stage == RETRACTION else 2, 0, department)


def _make_need(policies: Policies, stage: str, department: str, paths: tuple[str, ...]) -> StageNeed:
    dept = policies.departments[department]
    if stage == GOVERNING:
        name, minimum = f"{dept.name}审核(制度、流程与代码)", 1
    elif stage == RETRACTION:
        name, minimum = f"{dept.name}审核(撤回文章)", 1
    else:
        defined = policies.stages[stage]
        label = f"({dept.name})" if defined.department == ARTICLE_DEPARTMENT else ""
        name, minimum = defined.name + label, defined.min_approvals
    return StageNeed(stage, name, department, dept.reviewers, minimum, paths)


# -- are they met ------------------------------------------------------------------------------


def latest_reviews(reviews: list[Review]) -> dict[str, Review]:
    """Each reviewer's review that counts: the latest approval, change request or dismissal.

    A plain comment does not withdraw an approval, as on GitHub; a dismissed review
    counts for nothing."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.user.lower()] = review
    return latest


def judge(pr: PullRequest, needs: list[StageNeed], reviews: list[Review],
          members: Callable[[str], frozenset[str]]) -> Verdict:
    """Approvals on the latest commit, by members of the stage's teams, not by the author."""
    latest = latest_reviews(reviews)
    author = pr.author.lower()
    results = []
    for need in needs:
        team = frozenset().union(*(members(t) for t in need.teams))
        approved = tuple(sorted(user for user, r in latest.items() if user in team and user != author
                                and r.state == "APPROVED" and r.commit_id == pr.head_sha))
        blocked = tuple(sorted(user for user, r in latest.items() if user in team and r.state == "CHANGES_REQUESTED"))
        results.append(StageResult(need, approved, blocked, tuple(sorted(team - {author} - set(approved)))))
    return Verdict(pr, tuple(results))


def evaluate(forge: Forge, policies: Policies, number: int) -> Verdict:
    """The verdict on one pull request, with `policies` read from the base branch."""
    pr = forge.pull_request(number)
    files = forge.changed_files(number)
    needs = stages_needed(policies, files, lambda p: forge.file_content(p, pr.head_sha),
                          lambda p: forge.file_content(p, pr.base_sha))
    cache: dict[str, frozenset[str]] = {}

    def members(team: str) -> frozenset[str]:
        if team not in cache:
            cache[team] = forge.team_members(team)
        return cache[team]

    return judge(pr, needs, forge.reviews(number), members)


# -- reporting -------------------------------------------------------------------------------


def summary_table(verdict: Verdict) -> str:
    """The Chinese job summary: one row per stage, who approved, who is still needed."""
    state = "✅ 审批已完成" if verdict.approved else "⏳ 尚未完成审批"
    lines = [f"## 合并请求 #{verdict.pr.number} 的分级审批:{state}", "",
             f"审批只计入最新提交 `{verdict.pr.head_sha[:8]}` 上的批准;作者本人的批准不计入。", "",
             "| 审批阶段 | 负责团队 | 已批准 | 状态 | 涉及文件 |", "|---|---|---|---|---|"]
    for r in verdict.results:
        if r.blocked_by:
            status = f"❌ {', '.join(r.blocked_by)} 要求修改"
        elif r.satisfied:
            status = "✅ 已通过"
        else:
            who = "、".join(r.can_approve[:5]) + (" 等" if len(r.can_approve) > 5 else "")
            status = f"还需 {r.need.min_approvals - len(r.approved_by)} 人批准" + (f"(可审批:{who})" if who else "")
        paths = "<br>".join(f"`{p}`" for p in r.need.paths[:5]) + (" 等" if len(r.need.paths) > 5 else "")
        lines.append(f"| {r.need.name} | {', '.join(r.need.teams)} | {', '.join(r.approved_by) or '—'} | {status} | {paths} |")
    return "\n".join(lines) + "\n\n"


def status_description(verdict: Verdict) -> str:
    """At most 140 characters, as a commit status allows."""
    if verdict.approved:
        text = f"各阶段均已批准:{len(verdict.results)} 个阶段"
    else:
        missing = [r.need.name for r in verdict.results if not r.satisfied]
        text = "待审批:" + "、".join(missing)
    return text if len(text) <= 140 else text[:139] + "…"


# -- before publishing -----------------------------------------------------------------------


def last_change(root: Path, bundle: PurePosixPath, rev: str = "HEAD") -> str | None:
    """The commit that last changed an article's folder on `rev` (what was merged)."""
    result = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%H", rev, "--", str(bundle)],
                            capture_output=True, text=True)
    return result.stdout.strip() or None


def merged_approval(forge: Forge, policies: Policies, root: Path, article: Article) -> tuple[bool, str, tuple[str, ...]]:
    """Whether the pull request that brought the article's current version was fully approved.

    An article pushed to main directly, or merged by an admin past the review, is not
    published: (False, why, ()). Otherwise (True, "", who approved)."""
    commit = last_change(root, article.bundle)
    if commit is None:
        return False, "在 Git 历史中找不到这篇文章的提交;CI 检出时请使用 fetch-depth: 0", ()
    merged = [pr for pr in forge.pulls_for_commit(commit) if pr.merged]
    if not merged:
        return False, (f"这篇文章的最新改动(提交 {commit[:8]})没有经过合并请求,可能是直接推送或管理员绕过了审核;"
                       "不予发布,请通过合并请求提交并完成各阶段审批"), ()
    verdict = evaluate(forge, policies, merged[0].number)
    if not verdict.approved:
        missing = "、".join(r.need.name for r in verdict.results if not r.satisfied)
        return False, f"合并请求 #{verdict.pr.number} 合并时未完成审批(缺:{missing});不予发布", ()
    return True, "", verdict.approvers
