"""Publishing that proves what it publishes: may this article, this retraction, this run go out?

The answer comes from the Git history of the commit being published and from the forge,
never from what a commit message or a branch name claims. A change is *proven* when:

1. the commit that last changed the path on the branch's first-parent history (the commits
   the branch itself went through, one merge or push at a time) was put there by a merged
   pull request: it is the pull request's `merge_commit_sha` (merge commit or squash), or one
   of the commits a rebase merge added, all associated with that pull request by GitHub (a
   merge commit also changes a path when it drops what its other parent's side had changed:
   a merge pushed by hand onto an older main must not undo approved pull requests unseen);
2. the pull request's head, the commit its reviewers approved, holds exactly what is being
   published: the same Git tree (or blob) id for the path, so neither a follow-up push nor a
   merge that resolved a conflict differently can slip in unreviewed content;
3. the pull request's files include the path (its reviewers saw it), and every stage
   approved it, judged by the policies.yaml on the pull request's base at merge time: the
   commit just before the pull request's own commits on the branch. That policy must itself
   be proven the same way; when it is not, the last proven policy before it judges instead,
   so an unreviewed push can neither lower the bar for what is merged after it nor be
   laundered by a reviewed change on top of it, and a reviewed pull request can undo it.

A trusted commit named by the operator (`--trusted-commit`, WXPUB_TRUSTED_COMMIT) ends every
walk: whatever the branch held at that commit counts as approved. That is how a school adopts
wxpub on a history made without pull requests.

`Provenance` answers three questions for `publish.plan()`: `held()` lists unproven changes to
what renders into every article (while any is listed nothing is published), `publication()`
whether one article may go out, `retraction()` whether one may be taken down (which also
needs the account operator's retraction stage in the approving pull request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pygit2

from pipeline.approvals import RETRACTION, Verdict, evaluate
from pipeline.content import CONTENT_DIR
from pipeline.errors import UserError
from pipeline.forge import ChangedFile, Forge, PullRequest, Review
from pipeline.policies import POLICY_FILE, Policies, load_policies
from pipeline.snapshot import CommitTree

# What renders into every article: the policy (footers, accounts, themes chosen), its word
# lists, the themes, the pipeline's code and the dependencies pyproject.toml pins for it.
RENDERING_PATHS = (POLICY_FILE, "policies", "themes", "pipeline", "pyproject.toml")
# What a publish job neither reads nor runs. Every other top-level entry is watched like the
# paths above: the job installs and runs its checkout (`python -m pip install .` executes a
# setup.py and imports a pip/ package from the working folder), so a list of what is
# dangerous would always miss something; a list of what is harmless fails closed.
INERT_PATHS = frozenset({CONTENT_DIR, "docs", "tests", "bench", "examples", "LICENSE"})
_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_FETCH_PULLS = "git fetch origin '+refs/pull/*/head:refs/remotes/origin/pull/*'"
_BOOTSTRAP = "若这是启用 wxpub 之前的历史,请由管理员设置可信起点 WXPUB_TRUSTED_COMMIT(见 docs/setup.md「可信起点」)"

State = tuple[str, int] | None  # (object id, file mode) of a path in a commit; None: absent


@dataclass(frozen=True)
class Proof:
    """The answer for one path: allowed, or refused with a stable code and a Chinese reason."""

    allowed: bool
    code: str = ""  # PROV0xx when refused
    reason: str = ""  # Chinese, names the commit and the pull request
    approvers: tuple[str, ...] = ()  # who approved the pull request that carried the change
    pull: int | None = None  # that pull request; None when trusted or never changed
    commit: str = ""  # the commit that last changed the path on the branch

    @property
    def message(self) -> str:
        return f"{self.code} {self.reason}" if self.code else self.reason


@dataclass(frozen=True)
class _Carrier:
    """A merged pull request that put a commit on the branch, and where it was merged onto."""

    pull: PullRequest
    base: int  # chain index of the commit just before the pull request's own commits


def _refuse(code: str, reason: str, commit: str = "", pull: int | None = None) -> Proof:
    return Proof(False, code, reason, pull=pull, commit=commit)


class Provenance:
    """Proofs for the paths of one commit (the one being published), cached for the run.

    The first-parent chain is walked lazily from `head` and kept: index 0 is `head`, index
    i + 1 the first parent of index i. Forge answers and verdicts are cached too, so each
    pull request is judged once per run however many paths it carried."""

    def __init__(self, repo: pygit2.Repository, head: pygit2.Commit, forge: Forge, *,
                 trusted: str | None = None) -> None:
        self._repo = repo
        self._forge = forge
        self._chain: list[pygit2.Commit] = [head]
        self._index: dict[str, int] = {str(head.id): 0}
        self._pulls: dict[str, tuple[PullRequest, ...]] = {}
        self._verdicts: dict[tuple[int, int], Verdict] = {}
        self._policies: dict[int, Policies | str] = {}
        self._proofs: dict[tuple[str, int], tuple[Proof, Verdict | None]] = {}
        self._held: tuple[tuple[str, Proof], ...] | None = None
        self._merges: dict[int, tuple[tuple[pygit2.Commit, pygit2.Commit | None], ...]] = {}
        self._anchor = self._find_trusted(trusted) if trusted else None

    # -- the three questions ---------------------------------------------------------------
    def held(self) -> tuple[tuple[str, Proof], ...]:
        """(path, refusal) for each unproven change to what renders into every article."""
        if self._held is None:
            self._held = tuple((path, proof) for path in self._watched()
                               if not (proof := self._prove(path, 0)[0]).allowed)
        return self._held

    def _watched(self) -> tuple[str, ...]:
        """RENDERING_PATHS, then every other top-level entry of `head` that is not inert
        (documentation: *.md files)."""
        names = sorted(name for entry in self._chain[0].tree
                       if (name := entry.name) and name not in INERT_PATHS and not name.endswith(".md"))
        return tuple(dict.fromkeys([*RENDERING_PATHS, *names]))

    def publication(self, bundle: PurePosixPath) -> Proof:
        """Whether the article in `bundle` (its folder) may be published as it is at `head`."""
        return self._prove(str(bundle), 0)[0]

    def retraction(self, bundle: PurePosixPath) -> Proof:
        """Whether the article in `bundle` may be taken down: its deletion or `retracted: true`
        came from an approved pull request that needed the account operator's retraction stage."""
        path = str(bundle)
        if self._last_change(path, 0) is None:
            return _refuse("PROV001", f"在分支历史中找不到 {path}(历史可能被改写),无法证明撤回经过批准;"
                                      "文章保持发布状态,请通过合并请求撤回")
        proof, verdict = self._prove(path, 0)
        if not proof.allowed or verdict is None:
            return proof  # refused, or trusted by the operator's starting commit
        if not any(r.need.stage == RETRACTION and path in r.need.paths and r.satisfied for r in verdict.results):
            return _refuse("PROV007", f"合并请求 #{proof.pull} 撤回了 {path},但没有经过公众号运营部门的撤回审批;"
                                      "文章保持发布状态", proof.commit, proof.pull)
        return proof

    # -- the first-parent chain ------------------------------------------------------------
    def _at(self, index: int) -> pygit2.Commit | None:
        """The commit `index` first parents below `head`; None below the root commit."""
        while len(self._chain) <= index:
            last = self._chain[-1]
            if not last.parent_ids:
                return None
            parent = last.parents[0]
            self._index[str(parent.id)] = len(self._chain)
            self._chain.append(parent)
        return self._chain[index]

    def _find_trusted(self, trusted: str) -> int:
        sha = trusted.strip().lower()
        if not _FULL_SHA.fullmatch(sha):
            raise UserError(f"可信起点「{trusted}」不是完整的提交号",
                            hint="写完整的 40 位提交号(分支名和标签可以被移动,不能作为可信起点)")
        index = 0
        while (commit := self._at(index)) is not None:
            if str(commit.id) == sha:
                return index
            index += 1
        raise UserError(f"可信起点 {sha[:12]} 不在所发布分支的首父提交历史中",
                        hint="可信起点应是 main 上的一个提交(git log --first-parent main 中可见);"
                             "CI 检出时请使用 fetch-depth: 0")

    def _state(self, commit: pygit2.Commit | None, path: str) -> State:
        if commit is None:
            return None
        try:
            entry = commit.tree[path]
        except KeyError:
            return None
        return str(entry.id), int(entry.filemode)

    def _last_change(self, path: str, start: int) -> int | None:
        """The index of the commit at or below `start` that last changed `path` (the trusted
        commit's index when the walk reaches it first); None if it never existed there."""
        index = start
        while (commit := self._at(index)) is not None:
            if self._anchor is not None and index >= self._anchor:
                return index
            if self._changed(index, path):
                return index
            index += 1
        return None

    def _changed(self, index: int, path: str) -> bool:
        """Whether chain[index] put `path` on the branch as it is: it differs from the first
        parent, or the commit is a merge that dropped what another parent's side had changed
        since the merge base (a merge pushed by hand with an older main as first parent
        would otherwise undo pull requests without changing anything on the chain)."""
        state = self._state(self._chain[index], path)
        if state != self._state(self._at(index + 1), path):
            return True
        return any(self._state(side, path) not in (state, self._state(base, path)) for side, base in self._sides(index))

    def _sides(self, index: int) -> tuple[tuple[pygit2.Commit, pygit2.Commit | None], ...]:
        """(other parent, its merge base with the first parent) for each parent of a merge
        after the first; () for an ordinary commit."""
        if index not in self._merges:
            commit = self._chain[index]
            first = commit.parent_ids[0] if commit.parent_ids else None
            sides = []
            for side in commit.parents[1:]:
                base = self._repo.merge_base(first, side.id) if first is not None else None
                sides.append((side, self._repo[base].peel(pygit2.Commit) if base is not None else None))
            self._merges[index] = tuple(sides)
        return self._merges[index]

    # -- proofs ----------------------------------------------------------------------------
    def _prove(self, path: str, start: int) -> tuple[Proof, Verdict | None]:
        """The proof for `path` as it is at chain index `start`, and the verdict behind it."""
        index = self._last_change(path, start)
        if index is None:
            return Proof(True), None  # never on the branch: nothing was changed unreviewed
        if self._anchor is not None and index >= self._anchor:
            return Proof(True, commit=str(self._chain[index].id)), None
        if (path, index) not in self._proofs:
            if path == POLICY_FILE:
                self._prove_older_policies(index)
            self._proofs[(path, index)] = self._prove_change(path, index)
        return self._proofs[(path, index)]

    def _prove_older_policies(self, index: int) -> None:
        """Prove the policy changes below `index`, oldest first: each is judged by the one
        before it, so proving them in order keeps the recursion one level deep however long
        the policy's history is."""
        older: list[int] = []
        while (change := self._last_change(POLICY_FILE, (older[-1] if older else index) + 1)) is not None:
            if (self._anchor is not None and change >= self._anchor) or (POLICY_FILE, change) in self._proofs:
                break
            older.append(change)
        for change in reversed(older):
            self._proofs[(POLICY_FILE, change)] = self._prove_change(POLICY_FILE, change)

    def _prove_change(self, path: str, index: int) -> tuple[Proof, Verdict | None]:
        sha = str(self._chain[index].id)
        carriers = self._carriers(index)
        if not carriers:
            bootstrap = "" if self._anchor is not None else f";{_BOOTSTRAP}"
            return _refuse("PROV001", f"提交 {sha[:12]} 改动了 {path},但它不是由已合并的合并请求带到分支上的"
                                      f"(可能是直接推送,或管理员绕过了审核);请通过合并请求提交并完成各阶段审批"
                                      f"{bootstrap}", sha), None
        refusals = []
        for carrier in carriers:
            proof, verdict = self._judge(path, index, carrier)
            if proof.allowed:
                return proof, verdict
            refusals.append(proof)
        return refusals[0], None

    def _carriers(self, index: int) -> list[_Carrier]:
        """The merged pull requests that put chain[index] on the branch, merged at or above it
        (a rebase merge adds several commits; its merge_commit_sha is the newest)."""
        found = []
        for pull in self._pulls_for(index):
            merge = self._index.get(pull.merge_commit_sha or "")
            if merge is None or merge > index:
                continue
            if not all(self._carried_by(k, pull.number) for k in range(merge, index)):
                continue  # something else sits between: not one rebase merge
            base = index + 1
            while self._at(base) is not None and self._carried_by(base, pull.number):
                base += 1
            if self._at(base) is not None:
                found.append(_Carrier(pull, base))
        return found

    def _pulls_for(self, index: int) -> tuple[PullRequest, ...]:
        sha = str(self._chain[index].id)
        if sha not in self._pulls:
            self._pulls[sha] = tuple(p for p in self._forge.pulls_for_commit(sha) if p.merged and p.merge_commit_sha)
        return self._pulls[sha]

    def _carried_by(self, index: int, number: int) -> bool:
        return any(p.number == number for p in self._pulls_for(index))

    def _judge(self, path: str, index: int, carrier: _Carrier) -> tuple[Proof, Verdict | None]:
        pull, sha = carrier.pull, str(self._chain[index].id)
        number = pull.number
        head = self._commit(pull.head_sha)
        if head is None:
            return _refuse("PROV006", f"本地仓库中没有合并请求 #{number} 获批准的最新提交 {pull.head_sha[:12]},"
                                      f"无法核对发布内容;请在发布前执行 {_FETCH_PULLS}", sha, number), None
        if self._state(head, path) != self._state(self._chain[index], path):
            return _refuse("PROV002", f"分支上的 {path} 与合并请求 #{number} 获批准的最新提交 {pull.head_sha[:12]} 不一致"
                                      f"(提交 {sha[:12]} 合并时改动了内容,例如解决冲突时写入了未经批准的修改);"
                                      "请通过新的合并请求提交并完成审批", sha, number), None
        judged_by = self._policy_at(carrier.base, number)
        if isinstance(judged_by, Proof):
            return _refuse(judged_by.code, judged_by.reason, sha, number), None
        policy, note = judged_by
        verdict = self._verdict(pull, carrier.base, policy)
        if verdict.problem:  # no files, a list GitHub cut off: it cannot be judged, so it is not approved
            return _refuse("PROV003", f"合并请求 #{number}(提交 {sha[:12]})的审批无法判定:{verdict.problem}",
                           sha, number), None
        if not any(p == path or p.startswith(path + "/") for r in verdict.results for p in r.need.paths):
            return _refuse("PROV004", f"合并请求 #{number} 的改动文件中没有 {path},审核人没有看到它"
                                      f"(提交 {sha[:12]});请通过合并请求提交并完成审批", sha, number), None
        if not verdict.approved:
            missing = "、".join(r.need.name for r in verdict.results if not r.satisfied)
            return _refuse("PROV003", f"合并请求 #{number}(提交 {sha[:12]})合并时未完成审批(缺:{missing});"
                                      f"按合并时的 {POLICY_FILE} 判断{note}", sha, number), None
        return Proof(True, approvers=verdict.approvers, pull=number, commit=sha), verdict

    def _commit(self, sha: str) -> pygit2.Commit | None:
        """The commit `sha` names in the local clone; None when absent or not a commit."""
        try:
            found = self._repo.get(sha)
            return found.peel(pygit2.Commit) if found is not None else None
        except (ValueError, pygit2.GitError):
            return None

    def _policy_at(self, base: int, number: int) -> tuple[Policies, str] | Proof:
        """The policy a pull request merged onto chain[base] is judged by, and a note when it
        is not the one on its base: that one, once proven; else the last proven one before it.

        So an unreviewed push cannot lower the bar for the pull requests merged after it, and
        a reviewed pull request can still undo that push."""
        index, skipped = base, []
        while not (proof := self._prove(POLICY_FILE, index)[0]).allowed:
            skipped.append(proof.commit[:12])
            index = self._index.get(proof.commit, -1) + 1  # the state just before that change
            if index == 0 or self._at(index) is None:
                return _refuse("PROV005", f"合并请求 #{number} 合并之前没有经过批准的 {POLICY_FILE},无法判断审批;{_BOOTSTRAP}")
        sha = str(self._chain[index].id)
        if index not in self._policies:
            self._policies[index] = _load_policy_at(self._chain[index])
        loaded = self._policies[index]
        if isinstance(loaded, str):
            return _refuse("PROV005", f"无法读取合并请求 #{number} 所依据的 {POLICY_FILE}(提交 {sha[:12]}):{loaded}")
        note = (f"(合并时的 {POLICY_FILE} 来自未经批准的提交 {'、'.join(skipped)},按此前已批准的版本 {sha[:12]} 判断)"
                if skipped else "")
        return loaded, note

    def _verdict(self, pull: PullRequest, base: int, policy: Policies) -> Verdict:
        key = (pull.number, base)
        if key not in self._verdicts:
            self._verdicts[key] = evaluate(_AsMerged(self._forge, pull.merged_at), policy, pull.number)
        return self._verdicts[key]


class _AsMerged:
    """The forge as a merged pull request stood when it was merged: an approval submitted
    after the merge does not count (GitHub accepts reviews on merged pull requests, so an
    administrator's merge that skipped review could otherwise be approved afterwards). Later
    change requests and dismissals still count: they only ever withhold."""

    def __init__(self, forge: Forge, merged_at: str) -> None:
        self._forge = forge
        self._merged_at = merged_at

    def reviews(self, number: int) -> list[Review]:
        return [r for r in self._forge.reviews(number)
                if r.state != "APPROVED" or (self._merged_at and r.submitted_at and r.submitted_at <= self._merged_at)]

    def pull_request(self, number: int) -> PullRequest:
        return self._forge.pull_request(number)

    def changed_files(self, number: int) -> list[ChangedFile]:
        return self._forge.changed_files(number)

    def team_members(self, team: str) -> frozenset[str]:
        return self._forge.team_members(team)

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        return self._forge.pulls_for_commit(sha)

    def file_content(self, path: str, ref: str) -> bytes | None:
        return self._forge.file_content(path, ref)

    def set_status(self, sha: str, state: str, context: str, description: str, target_url: str = "") -> None:
        raise AssertionError("publishing never writes to the forge")

    def request_reviewers(self, number: int, teams: list[str]) -> None:
        raise AssertionError("publishing never writes to the forge")


def _load_policy_at(commit: pygit2.Commit) -> Policies | str:
    """policies.yaml (and its word lists) as it was at `commit`, through the one loader
    (load_policies) reading the commit's tree, or why not. The returned Policies is used only
    for judging stages."""
    try:
        return load_policies(Path(str(commit.id)), CommitTree(commit.tree))
    except UserError as error:
        return error.message
