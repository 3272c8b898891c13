"""Staged approvals (R1, R3, R4): every stage a change needs must approve its latest commit.

GitHub's "require review from Code Owners" is met by one approval from any one owner; a
school needs "department AND publicity office AND, for 通知公告, a school leader". This
module decides which stages a pull request needs (from the base branch's policy: a pull
request cannot lower its own bar) and whether each is met, from reviews read through the
forge API. It never runs or reads the pull request's code, only its files as data.

It fails closed: an article it cannot read needs every stage it could need; a pull request
whose file list is empty or incomplete is an error, never approved; one person's approval
counts for one stage (unless the policy allows more), assigned so that as many stages as
possible are met; with `approvals: {ordered: true}` a stage counts only approvals submitted
after the stages before it were met.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Mapping, Sequence

from pipeline.content import ARTICLE_FILE, CONTENT_DIR, Article, LoadProblem, bundle_index, parse_article
from pipeline.forge import MAX_PR_FILES, ChangedFile, Forge, NotRegularFile, PullRequest, Review
from pipeline.policies import ARTICLE_DEPARTMENT, POLICY_FILE, ApprovalRules, Policies
from pipeline.readertext import reader_text

GOVERNING = "governing"  # the stage of policy, workflow, CODEOWNERS and pipeline changes
RETRACTION = "retraction"  # the stage of taking an article down: the account's operator
# An article folder whose account or department the base policy does not know: nobody the base
# policy names can judge it, so it is a stage nobody can meet (the policy change goes first)
UNKNOWN_FOLDER = "unknown-folder"
DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")  # review states that change where a reviewer stands

ReadFile = Callable[[str], "bytes | None"]
Times = tuple[str, ...]  # submission times, ISO 8601 UTC as the forge gives them ("2026-03-01T08:00:00Z"): they sort as text


@dataclass(frozen=True)
class StageNeed:
    """One stage one pull request needs, and which of its files need it."""

    stage: str  # stage id, or GOVERNING / RETRACTION
    name: str  # shown to reviewers
    department: str  # whose reviewers approve
    teams: tuple[str, ...]
    min_approvals: int
    paths: tuple[str, ...]
    step: int | None = None  # place in the approval order (index under `stages:`); None: outside it


@dataclass(frozen=True)
class StageResult:
    need: StageNeed
    approved_by: tuple[str, ...]  # the approvals that count for this stage (one stage per person unless allowed)
    blocked_by: tuple[str, ...]  # members with an outstanding "changes requested"
    can_approve: tuple[str, ...] = ()  # members who could still approve: who is still needed
    not_counted: tuple[tuple[str, str], ...] = ()  # (member who approved, why it does not count here)
    waiting: bool = False  # ordered stages: an earlier stage is not met, so nothing counts here yet

    @property
    def satisfied(self) -> bool:
        return not self.waiting and not self.blocked_by and len(self.approved_by) >= self.need.min_approvals


@dataclass(frozen=True)
class Verdict:
    pr: PullRequest
    results: tuple[StageResult, ...]
    problem: str = ""  # why the pull request cannot be judged (no files, an incomplete file list): never approved
    rules: ApprovalRules = ApprovalRules()

    @property
    def approved(self) -> bool:
        # no stage at all is no approval: something always has to be approved by someone
        return not self.problem and bool(self.results) and all(r.satisfied for r in self.results)

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(user for r in self.results for user in r.approved_by))

    def next_stage(self) -> StageResult | None:
        """The first stage not yet met, once every stage before it is (stages go in order)."""
        return next((r for r in self.results if not r.satisfied), None)


# -- which stages --------------------------------------------------------------------------


def read_article(path: str, data: bytes | None) -> Article | LoadProblem | None:
    """An index.md read from the forge, through the one article loader (content.parse_article),
    so approvals see the front matter lint and the publisher see: None when the file does not
    exist, a LoadProblem when it exists but cannot be read (its category is then unknown,
    which is not the same as having none)."""
    return None if data is None else parse_article(PurePosixPath(path), data)


def _front_matter(path: str, data: bytes) -> Mapping[str, object] | None:
    """The front matter of an index.md read from the forge; None when it cannot be read (not
    UTF-8, no front matter, YAML that does not load into a mapping, over the YAML budget), so
    that the caller assumes the worst."""
    loaded = read_article(path, data)
    return loaded.front_matter if isinstance(loaded, Article) else None


def _read(read: ReadFile, path: str) -> bytes | None:
    """A file's bytes, None when there is none; b"" (unreadable) when something that is not a
    file stands there, such as a symlink leaving the repository: the publisher might follow it."""
    try:
        return read(path)
    except NotRegularFile:
        return b""


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
            if len(parts) < 5 or parts[0] != CONTENT_DIR:
                need(GOVERNING, policies.governing_body, path)
            elif parts[1] in policies.accounts and parts[2] in policies.departments:
                bundles.setdefault(str(PurePosixPath(*parts[:4])), changed)
            else:  # e.g. a department added to policies.yaml by this very pull request
                need(UNKNOWN_FOLDER, policies.governing_body, str(PurePosixPath(*parts[:4])))
    for bundle in sorted(bundles):
        _article_stages(policies, bundle, head, base, need)
    return [_make_need(policies, stage, department, tuple(dict.fromkeys(needs[(stage, department)])))
            for stage, department in sorted(order, key=lambda key: _rank(policies, key))]


def _article_stages(policies: Policies, bundle: str, head: ReadFile, base: ReadFile,
                    need: Callable[[str, str, str], None]) -> None:
    _, account_id, department, _ = PurePosixPath(bundle).parts
    account = policies.accounts[account_id]
    index = f"{bundle}/{ARTICLE_FILE}"
    new, old = _read(head, index), _read(base, index)
    new_fm = None if new is None else _front_matter(index, new)
    old_fm = None if old is None else _front_matter(index, old)

    def stage(stage_id: str) -> None:
        defined = policies.stages[stage_id]
        need(stage_id, department if defined.department == ARTICLE_DEPARTMENT else defined.department, bundle)

    if old is not None and (new is None or new_fm is None or new_fm.get("retracted") is True):
        # taking an article down, or a new version nobody can read (it may take it down): the operator decides (R15)
        need(RETRACTION, account.operator, bundle)
        if new is None:
            return
    for stage_id in account.approval_stages:
        stage(stage_id)
    versions = [fm for fm, data in ((new_fm, new), (old_fm, old)) if data is not None]
    for stage_id in _category_stages(policies, versions):  # moving out of 通知公告 still needs its stage
        stage(stage_id)
    if new is not None:
        for stage_id in conditional_stages(policies, PurePosixPath(index), new):
            stage(stage_id)


def conditional_stages(policies: Policies, path: PurePosixPath, data: bytes) -> list[str]:
    """The stages the policy's conditional rules require of an article ("if the text mentions
    X, stage Z is required"), asked of what a reader sees, the way lint's rule asks it
    (ReaderText.mention): 招生**计划** and 招生 计划 mention 招生计划. An article that cannot
    be read at all needs every one of them: what it says cannot be known."""
    rules = [(rule.require_stage, rule) for rule in policies.custom_rules if rule.type == "conditional"]
    if not any(stage for stage, _ in rules):
        return []
    article = parse_article(path, data)
    reader = reader_text(article) if isinstance(article, Article) else None
    needed = [stage for stage, rule in rules
              if stage and (reader is None or reader.mention(rule.tokens, rule.exceptions) is not None)]
    return list(dict.fromkeys(needed))


def _category_stages(policies: Policies, versions: Sequence[Mapping[str, object] | None]) -> list[str]:
    """The extra stages of the categories the article's versions name. A version that cannot be
    read, or names no category of the policy, could be any category: every category's stages."""
    names: set[str] = set()
    for front_matter in versions:
        category = None if front_matter is None else front_matter.get("category")
        if isinstance(category, str) and category in policies.categories:
            names.add(category)
        else:
            names.update(policies.categories)
    return [stage_id for name in sorted(names) for stage_id in policies.categories[name].extra_stages]


def _rank(policies: Policies, key: tuple[str, str]) -> tuple[int, int, str]:
    stage, department = key
    ids = list(policies.stages)
    if stage == UNKNOWN_FOLDER:
        return (-1, 0, department)
    if stage in ids:
        return (0, ids.index(stage), department)
    return (1 if stage == RETRACTION else 2, 0, department)


def _make_need(policies: Policies, stage: str, department: str, paths: tuple[str, ...]) -> StageNeed:
    dept = policies.departments[department]
    step = None
    if stage == UNKNOWN_FOLDER:
        return StageNeed(stage, f"无法确定审批阶段:文章所在的账号或部门不在合并目标分支的 {POLICY_FILE} 中;"
                                "请先单独提交并合并新增账号或部门的改动,再提交文章", department, (), 1, paths)
    if stage == GOVERNING:
        name, minimum = f"{dept.name}审核(制度、流程与代码)", 1
    elif stage == RETRACTION:
        name, minimum = f"{dept.name}审核(撤回文章)", 1
    else:
        defined = policies.stages[stage]
        label = f"({dept.name})" if defined.department == ARTICLE_DEPARTMENT else ""
        name, minimum, step = defined.name + label, defined.min_approvals, list(policies.stages).index(stage)
    return StageNeed(stage, name, department, dept.reviewers, minimum, paths, step)


def file_list_problem(pr: PullRequest, files: list[ChangedFile]) -> str:
    """Why `files` cannot tell which stages the pull request needs; "" when they can.

    GitHub lists at most MAX_PR_FILES files of a pull request, so a list shorter than the
    pull request's own count is cut off: the missing files could need any stage."""
    if not files:
        return (f"合并请求 #{pr.number} 没有改动任何文件,没有可以审批的内容,不能算作已批准;"
                "请推送要审批的改动,或关闭这个合并请求")
    if pr.changed_files is None:
        return f"无法从 GitHub 得知合并请求 #{pr.number} 改动了多少个文件,无法核对文件列表是否完整,不能算作已批准"
    if len(files) != pr.changed_files:
        if pr.changed_files > MAX_PR_FILES:
            return (f"合并请求 #{pr.number} 改动了 {pr.changed_files} 个文件,GitHub 最多只列出 {MAX_PR_FILES} 个,"
                    "无法确定其余文件需要哪些审批阶段,不能算作已批准;请把改动拆成几个较小的合并请求")
        return (f"GitHub 报告合并请求 #{pr.number} 改动了 {pr.changed_files} 个文件,列出的却是 {len(files)} 个"
                "(检查期间可能有新的推送),不能算作已批准;请重新运行审批检查")
    return ""


# -- are they met ------------------------------------------------------------------------------


def _in_submission_order(reviews: list[Review]) -> list[Review]:
    # A pending review is created early and submitted later: its submission time is what counts
    return sorted(reviews, key=lambda review: (review.submitted_at, review.id))


def latest_reviews(reviews: list[Review]) -> dict[str, Review]:
    """Each reviewer's review that counts: the latest approval, change request or dismissal.

    A plain comment does not withdraw an approval, as on GitHub; a dismissed review
    counts for nothing."""
    latest: dict[str, Review] = {}
    for review in _in_submission_order(reviews):
        if review.state in DECISIVE:
            latest[review.user.lower()] = review
    return latest


def standing_approvals(reviews: list[Review], head_sha: str) -> dict[str, Times]:
    """Who approves `head_sha` now, and since when: each reviewer's approvals of it submitted
    after their last change request, dismissal or approval of another commit (so only
    reviewers whose latest decisive review approves the head), in submission order."""
    runs: dict[str, list[str]] = {}
    for review in _in_submission_order(reviews):
        user = review.user.lower()
        if review.state == "APPROVED" and review.commit_id == head_sha:
            runs.setdefault(user, []).append(review.submitted_at)
        elif review.state in DECISIVE:
            runs[user] = []
    return {user: tuple(times) for user, times in runs.items() if times}


def judge(pr: PullRequest, needs: list[StageNeed], reviews: list[Review],
          members: Callable[[str], frozenset[str]], rules: ApprovalRules = ApprovalRules()) -> Verdict:
    """Approvals on the latest commit, by members of the stage's teams, not by the author;
    each person counting for one stage unless `rules` allow more; in order if `rules` say so."""
    author = pr.author.lower()
    standing = {user: times for user, times in standing_approvals(reviews, pr.head_sha).items() if user != author}
    latest = latest_reviews(reviews)
    teams = [frozenset().union(*(members(t) for t in need.teams)) for need in needs]
    blocked = [tuple(sorted(u for u, r in latest.items() if u in team and r.state == "CHANGES_REQUESTED"))
               for team in teams]
    voters = [{u: t for u, t in standing.items() if u in team} for team in teams]
    after, waiting = _order(needs, voters, blocked, rules)
    eligible = _eligible(voters, blocked, after, {i for i in range(len(needs)) if not waiting[i]})
    counted = _assign([n.min_approvals for n in needs], eligible, rules.one_stage_per_reviewer)
    where = {user: i for i, users in enumerate(counted) for user in users}
    results = []
    for i, need in enumerate(needs):
        skipped = tuple((user, _why_not(user, i, where, needs, eligible[i], blocked[i], waiting[i]))
                        for user in sorted(voters[i]) if user not in counted[i])
        busy = set(where) if rules.one_stage_per_reviewer else set(counted[i])
        results.append(StageResult(need, counted[i], blocked[i], tuple(sorted(teams[i] - {author} - busy)),
                                   skipped, waiting[i]))
    return Verdict(pr, tuple(results), rules=rules)


def _why_not(user: str, stage: int, where: Mapping[str, int], needs: list[StageNeed], eligible: frozenset[str],
             blocked: tuple[str, ...], waiting: bool) -> str:
    """Why `user`'s standing approval does not count for stage number `stage` (Chinese, for the summary)."""
    if blocked:
        return "本阶段有人要求修改,批准暂不计入"
    if waiting:
        return "前面的阶段尚未完成,须在其完成后再批准"
    if user in where:
        return f"已计入「{needs[where[user]].name}」,每人的批准只计入一个阶段"
    if user not in eligible:
        return "批准早于前一阶段完成,须在前一阶段完成后重新批准"
    return "本阶段已有足够的批准"


def _eligible(voters: list[dict[str, Times]], blocked: list[tuple[str, ...]], after: list[str | None],
              stages: set[int], until: str | None = None) -> list[frozenset[str]]:
    """Per need, who has an approval that can count for it: submitted after `after[i]` (and
    by `until`, to look at an earlier moment); nobody for a blocked need or one not in `stages`."""
    def counts(times: Times, since: str | None) -> bool:
        return any((since is None or t > since) and (until is None or t <= until) for t in times)
    return [frozenset(u for u, times in voters[i].items() if counts(times, after[i]))
            if i in stages and not blocked[i] else frozenset() for i in range(len(voters))]


def _order(needs: list[StageNeed], voters: list[dict[str, Times]], blocked: list[tuple[str, ...]],
           rules: ApprovalRules) -> tuple[list[str | None], list[bool]]:
    """For each need: after which time its approvals count (None: any time), and whether it
    waits for an earlier stage. Without `rules.ordered` every approval counts, nothing waits.

    Ordered: the steps (positions under `stages:`) the pull request needs are met one after
    the other. A step is met at the earliest submission time at which it and every step
    before it could be met together, counting for each step only the approvals submitted
    after the step before it was met. The steps after the first one not met wait."""
    after: list[str | None] = [None] * len(needs)
    waiting = [False] * len(needs)
    if not rules.ordered:
        return after, waiting
    steps = sorted({n.step for n in needs if n.step is not None})
    previous: str | None = None  # when the step before was met
    for position, step in enumerate(steps):
        chain = {i for i, need in enumerate(needs) if need.step is not None and need.step <= step}
        for i in chain:
            if needs[i].step == step:
                after[i] = previous
        demands = [need.min_approvals for need in needs]
        moments = sorted({t for i in chain for times in voters[i].values() for t in times
                          if previous is None or t > previous})
        previous = next((moment for moment in moments
                         if _feasible(sorted(chain), demands, _eligible(voters, blocked, after, chain, moment),
                                      rules.one_stage_per_reviewer)), None)
        if previous is None:
            later = set(steps[position + 1:])
            waiting = [need.step in later for need in needs]
            break
    return after, waiting


# -- who counts for which stage: a small bipartite matching (stages need min_approvals people) --


def _assign(demands: list[int], eligible: list[frozenset[str]], one_per_reviewer: bool) -> list[tuple[str, ...]]:
    """Which eligible approvals count for which stage. Each person counts for one stage when
    `one_per_reviewer`, assigned so that the most stages are met (earlier stages first on a
    tie), each met stage with exactly the approvals it needs; a stage that cannot be met gets
    what is left."""
    if not one_per_reviewer:
        return [tuple(sorted(users)) for users in eligible]
    chosen = _most_stages(demands, eligible)
    owner: dict[str, int] = {}
    for i in chosen:
        for _ in range(demands[i]):
            _augment(i, eligible, owner, set())
    for i in range(len(demands)):
        if i not in chosen:
            for _ in range(demands[i]):
                if not _augment(i, eligible, owner, set()):
                    break
    return [tuple(sorted(user for user, i in owner.items() if i == stage)) for stage in range(len(demands))]


def _most_stages(demands: list[int], eligible: list[frozenset[str]]) -> list[int]:
    """The largest set of stages that can all be met at once, preferring earlier stages.

    Stages that need several approvals make this a packing problem, so it is a search; a
    pull request needs a handful of stages, and the first branch (take every stage that
    still fits) is already the answer whenever all of them can be met."""
    candidates = [i for i in range(len(demands)) if len(eligible[i]) >= demands[i]]
    best: list[int] = []

    def search(k: int, chosen: list[int]) -> None:
        nonlocal best
        if len(chosen) + len(candidates) - k <= len(best):
            return
        if k == len(candidates):
            best = chosen
            return
        taken = chosen + [candidates[k]]
        if _feasible(taken, demands, eligible, True):
            search(k + 1, taken)
        search(k + 1, chosen)

    search(0, [])
    return best


def _feasible(stages: list[int], demands: list[int], eligible: list[frozenset[str]], one_per_reviewer: bool) -> bool:
    """Whether every one of `stages` can get its demand of approvals at once."""
    if not one_per_reviewer:
        return all(len(eligible[i]) >= demands[i] for i in stages)
    owner: dict[str, int] = {}
    return all(_augment(i, eligible, owner, set()) for i in stages for _ in range(demands[i]))


def _augment(stage: int, eligible: list[frozenset[str]], owner: dict[str, int], seen: set[str]) -> bool:
    """Give `stage` one more approver, moving others along (Kuhn's augmenting path)."""
    for user in sorted(eligible[stage]):
        if user in seen or owner.get(user) == stage:
            continue
        seen.add(user)
        current = owner.get(user)
        if current is None or _augment(current, eligible, owner, seen):
            owner[user] = stage
            return True
    return False


def evaluate(forge: Forge, policies: Policies, number: int) -> Verdict:
    """The verdict on one pull request, with `policies` read from the base branch."""
    pr = forge.pull_request(number)
    files = forge.changed_files(number)
    problem = file_list_problem(pr, files)
    if not problem:
        again = forge.pull_request(number)  # a push while the files were listed: they belong to another head
        if again.head_sha != pr.head_sha:
            problem = (f"合并请求 #{number} 在检查期间有新的推送({pr.head_sha[:8]} → {again.head_sha[:8]}),"
                       "这次检查不算数;新的提交会触发新的检查")
    if problem:
        return Verdict(pr, (), problem, policies.approval_rules)
    needs = stages_needed(policies, files, lambda p: forge.file_content(p, pr.head_sha),
                          lambda p: forge.file_content(p, pr.base_sha))
    cache: dict[str, frozenset[str]] = {}

    def members(team: str) -> frozenset[str]:
        if team not in cache:
            cache[team] = forge.team_members(team)
        return cache[team]

    return judge(pr, needs, forge.reviews(number), members, policies.approval_rules)


# -- reporting -------------------------------------------------------------------------------


def preview_comment(verdict: Verdict, policies: Policies) -> str:
    """The comment that asks wechat-preview.yml to send this head to everyone who may receive
    previews of the changed articles' accounts (reviewers copy it, keeping their own name).
    It names the head by its whole sha: the job sends only the commit a comment names, and a
    short prefix is one an author could give another commit too. Empty when the pull request
    could not be judged, changes no article, or nobody may receive its previews; and for a pull
    request into any branch but the default one, which the job refuses (its head holds that
    branch's own commits, in no diff a reviewer read)."""
    if verdict.problem or not verdict.pr.default_branch or verdict.pr.base_ref != verdict.pr.default_branch:
        return ""
    accounts = dict.fromkeys(PurePosixPath(path).parts[1] for r in verdict.results for path in r.need.paths
                             if bundle_index(PurePosixPath(path) / ARTICLE_FILE) is not None)
    # the job splits the comment at spaces: a name holding one could not be asked for this way
    names = dict.fromkeys(name for account in accounts if account in policies.accounts
                          for name in policies.accounts[account].previewers if name.split() == [name])
    return f"/preview {' '.join(names)} @{verdict.pr.head_sha}" if names else ""


def summary_table(verdict: Verdict, preview: str = "") -> str:
    """The Chinese job summary: one row per stage, who counted for it, who is still needed,
    and `preview` (see preview_comment) to copy for a preview on one's phone."""
    if verdict.problem:
        return (f"## 合并请求 #{verdict.pr.number} 的分级审批:❌ 无法判定\n\n{verdict.problem}\n\n")
    state = "✅ 审批已完成" if verdict.approved else "⏳ 尚未完成审批"
    rules = ["审批只计入最新提交 `" + verdict.pr.head_sha[:8] + "` 上的批准;作者本人的批准不计入"]
    if verdict.rules.one_stage_per_reviewer:
        rules.append("每人的批准只计入一个阶段")
    if verdict.rules.ordered:
        rules.append("各阶段按顺序审批,批准须在前面的阶段完成之后提交")
    lines = [f"## 合并请求 #{verdict.pr.number} 的分级审批:{state}", "", ";".join(rules) + "。", "",
             "| 审批阶段 | 负责团队 | 已批准 | 状态 | 涉及文件 |", "|---|---|---|---|---|"]
    for r in verdict.results:
        if r.blocked_by:
            status = f"❌ {', '.join(r.blocked_by)} 要求修改"
        elif r.waiting:
            status = "⏸ 等待前面的阶段完成"
        elif r.satisfied:
            status = "✅ 已通过"
        else:
            who = "、".join(r.can_approve[:5]) + (" 等" if len(r.can_approve) > 5 else "")
            status = f"还需 {r.need.min_approvals - len(r.approved_by)} 人批准" + (f"(可审批:{who})" if who else "")
        if r.not_counted:
            status += "<br>未计入:" + ";".join(f"{user}({why})" for user, why in r.not_counted)
        paths = "<br>".join(f"`{p}`" for p in r.need.paths[:5]) + (" 等" if len(r.need.paths) > 5 else "")
        lines.append(f"| {r.need.name} | {', '.join(r.need.teams)} | {', '.join(r.approved_by) or '—'} | {status} | {paths} |")
    if preview:
        lines += ["", f"📱 在自己的手机上预览这次提交 `{verdict.pr.head_sha[:7]}`:把下面这一行作为合并请求的评论发送"
                      "(可以只留下自己的名字);之后又有推送时,请用新的摘要中的这一行。", "", "```", preview, "```"]
    return "\n".join(lines) + "\n\n"


def status_description(verdict: Verdict) -> str:
    """At most 140 characters, as a commit status allows."""
    if verdict.problem:
        text = verdict.problem
    elif verdict.approved:
        text = f"各阶段均已批准:{len(verdict.results)} 个阶段"
    else:
        missing = [r.need.name for r in verdict.results if not r.satisfied]
        text = "待审批:" + "、".join(missing)
    return text if len(text) <= 140 else text[:139] + "…"
