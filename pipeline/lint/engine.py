"""Lint a set of article bundles against the policy: load, check, resolve severity, suppress."""

from __future__ import annotations

import datetime
import difflib
import os
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from pipeline.content import ARTICLE_FILE, CONTENT_DIR, Article, LoadProblem, load_article, same_names
from pipeline.gitattributes import conversions
from pipeline.lint import suppress
from pipeline.lint.cache import FindingsCache
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, LintReport, Severity, Suppression
from pipeline.lint.registry import CHECKS, FIXERS, RULES
from pipeline.policies import POLICY_FILE, Policies
from pipeline.progress import Progress
from pipeline.snapshot import Snapshot, WorkTree

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


# Below this many articles a process pool costs more to start than it saves
PARALLEL_THRESHOLD = 200
_CHUNK = 64


def lint_bundles(root: Path, policies: Policies, paths: Sequence[PurePosixPath], *, fix: bool = False,
                 today: datetime.date | None = None, jobs: int | None = None,
                 published: Mapping[str, str] | None = None, cache: FindingsCache | None = None,
                 progress: Progress = Progress()) -> LintReport:
    """Lint every bundle; large sets are spread over `jobs` processes (default: every core).
    With `cache`, an article whose files, policy and wxpub are unchanged is not linted again.
    `progress` counts the articles done (a bar on a terminal)."""
    findings: list[Finding] = []
    suppressions: list[Suppression] = []
    fixed: list[str] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    accounts: set[str] = set()
    files = 0
    progress.expect(len(paths))
    results = (_counted(_each(root, policies, paths, fix, jobs), progress) if fix or cache is None
               else _cached(root, policies, paths, jobs, cache, progress))
    for path, result in zip(paths, results):
        files += 1
        findings.extend(result.findings)
        suppressions.extend(result.suppressions)
        fixed.extend(result.fixed)
        suppressed.extend(result.suppressed)
        accounts.add(path.parts[1] if len(path.parts) > 1 else "")
    findings.extend(_resolve(policies, f) for f in account_findings(policies, accounts, today or datetime.date.today()))
    findings.extend(_resolve(policies, f) for f in republish_findings(root, paths, published or {}))
    findings.extend(_resolve(policies, f) for f in same_name_findings(root, paths))
    findings.extend(_resolve(policies, f) for f in code_findings(policies))
    return LintReport(tuple(sorted(f for f in findings if f.severity)), tuple(suppressions), files, tuple(fixed),
                      tuple(suppressed))


def _counted(results: Iterator[LintReport], progress: Progress) -> Iterator[LintReport]:
    for result in results:
        progress.advance()
        yield result


def _cached(root: Path, policies: Policies, paths: Sequence[PurePosixPath], jobs: int | None,
            cache: FindingsCache, progress: Progress) -> list[LintReport]:
    """Every article's report, from the cache where nothing it depends on changed; the rest are
    linted (over workers as usual) and filed. An article is described again after linting and
    filed only if it is still what was linted."""
    keys = [cache.key(root, path) for path in paths]
    hits = cache.get({key: path for key, path in zip(keys, paths) if key is not None})
    todo = [i for i, key in enumerate(keys) if key is None or key not in hits]
    progress.advance(len(paths) - len(todo))
    fresh = dict(zip(todo, _counted(_each(root, policies, [paths[i] for i in todo], False, jobs), progress)))
    cache.put({key: fresh[i] for i in todo if (key := keys[i]) is not None and cache.key(root, paths[i]) == key})
    return [fresh[i] if i in fresh else hits[str(keys[i])] for i in range(len(paths))]


def _each(root: Path, policies: Policies, paths: Sequence[PurePosixPath], fix: bool,
          jobs: int | None) -> Iterator[LintReport]:
    workers = min(jobs or os.cpu_count() or 1, max(1, len(paths) // _CHUNK))
    if workers < 2 or len(paths) < PARALLEL_THRESHOLD:
        return (lint_one(root, policies, path, fix=fix) for path in paths)
    import multiprocessing  # here: a pull request's check of a few articles forks nothing (~3 ms to import)
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return (lint_one(root, policies, path, fix=fix) for path in paths)
    # Forked workers inherit the loaded policy (and its compiled word lists) instead of
    # re-reading it; results come back in order.
    global _WORKER_STATE
    _WORKER_STATE = (root, policies, fix)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return _drain(pool, pool.map(_lint_in_worker, paths, chunksize=_CHUNK))


def _drain(pool: ProcessPoolExecutor, results: Iterator[LintReport]) -> Iterator[LintReport]:
    with pool:
        yield from results


_WORKER_STATE: tuple[Path, Policies, bool] | None = None


def _lint_in_worker(path: PurePosixPath) -> LintReport:
    assert _WORKER_STATE is not None, "set before the pool forks"
    root, policies, fix = _WORKER_STATE
    return lint_one(root, policies, path, fix=fix)


def lint_one(root: Path, policies: Policies, path: PurePosixPath, *, fix: bool = False) -> LintReport:
    """Lint one article as it is in the working tree (editors lint what they have)."""
    source = WorkTree(root)
    loaded = load_article(source, path)
    fixed: list[str] = []
    if fix and isinstance(loaded, Article):
        doc = Document(loaded, policies)
        for fixer in FIXERS:
            fixed.extend(fixer(doc))
        if fixed:  # the files changed: read the bundle again so findings describe what is there now
            loaded = load_article(source, path)
    return lint_article(loaded, policies, tuple(fixed))


def lint_article(loaded: Article | LoadProblem, policies: Policies, fixed: tuple[str, ...] = ()) -> LintReport:
    """Lint an article already read, from whichever snapshot (the publisher lints the commit's)."""
    if isinstance(loaded, LoadProblem):
        problem = Finding(str(loaded.path), loaded.line, loaded.column, loaded.code, loaded.message)
        # a checkout's index.md re-encoded by a .gitattributes may not even read: say why first
        found = [*checkout_findings(loaded.snapshot, loaded.path), problem]
        return LintReport(tuple(_resolve(policies, f) for f in found), (), 1)
    doc = Document(loaded, policies)
    raw = [*checkout_findings(loaded.files.snapshot, loaded.path), *(f for _, check in CHECKS for f in check(doc))]
    resolved = [r for r in (_resolve(policies, f) for f in raw) if r.severity]
    kept, suppressed, used = suppress.apply(doc, resolved)
    kept = [_resolve(policies, f) if f.severity is None else f for f in kept]
    return LintReport(tuple(kept), tuple(used), 1, fixed, tuple(suppressed))


def checkout_findings(snapshot: Snapshot, path: PurePosixPath) -> list[Finding]:
    """ART005 for each .gitattributes line that makes a checkout of the article's folder differ
    from the commit (pipeline/gitattributes.py): binding, since lint's other findings would be
    about other bytes than the publisher's, and the publisher sees the same lines in the commit.
    ART006 for each line that makes GitHub hide the folder's changes from reviewers."""
    findings = []
    for conversion in conversions(snapshot, path.parent):
        where = f"{conversion.path}:{conversion.line} 的 `{conversion.token}` {conversion.effect}"
        if not conversion.token:  # too big to read through
            message = f"{conversion.path} {conversion.effect};{conversion.fix}"
        elif conversion.hides:  # the bytes are the commit's, but reviewers are not shown them
            message = (f"{where}:审核人批准的是他们在合并请求中看到的改动,看不到的文章内容也会随批准发布;"
                       f"请{conversion.fix}")
        else:
            message = (f"{where},使检出的文件与提交中保存的不同:wxpub 检查的不是将要发布的内容,"
                       f"发布时会拒绝这篇文章;请{conversion.fix}")
        findings.append(Finding(str(path), 1, 1, "ART006" if conversion.hides else "ART005", message, binding=True))
    return findings


def _resolve(policies: Policies, finding: Finding) -> Finding:
    """Apply the policy's severity and regulation for this code; severity None means 'off'."""
    override = policies.rule_overrides.get(finding.code)
    info = RULES.get(finding.code)
    level = Severity.ERROR.value if finding.binding else \
        (override.severity if override and override.severity else None) \
        or (finding.severity.value if finding.severity else None) \
        or (info.severity.value if info else Severity.WARNING.value)
    regulation_id = (override.regulation if override and override.regulation else None) \
        or finding.regulation or (info.regulation if info else "")
    text = policies.regulations.get(regulation_id, "")
    regulation = f"{regulation_id} {text}".strip() if regulation_id else ""
    return replace(finding, severity=None if level == "off" else Severity(level), regulation=regulation)


def republish_findings(root: Path, paths: Sequence[PurePosixPath], published: Mapping[str, str]) -> list[Finding]:
    """An article the ledger says is published, edited since, without `republish: true`:
    the edit would never reach readers, or would silently go out a second time (R14)."""
    edited = []
    for path in paths:
        if str(path) not in published:
            continue
        article = load_article(WorkTree(root), path)
        if not isinstance(article, Article) or article.front_matter.get("republish") is True:
            continue
        if article.content_hash != published[str(path)]:
            edited.append(path)
    committed = _as_committed(root, edited)
    findings = []
    for path in edited:
        as_committed = committed.get(path)
        if isinstance(as_committed, Article) and as_committed.content_hash == published[str(path)]:
            continue  # Git's checkout conversion (core.autocrlf on Windows), not an edit
        findings.append(Finding(str(path), 1, 1, "PUB001", "这篇文章已经发布过,修改不会自动更新公众号上的文章;"
                                "若要把修改后的版本作为新文章再次发布,请在 front matter 加上 `republish: true`,"
                                "若要撤下原文请加 `retracted: true`"))
    return findings


def _as_committed(root: Path, paths: Sequence[PurePosixPath]) -> dict[PurePosixPath, Article | LoadProblem]:
    """The articles among `paths` that Git sees unchanged since HEAD (changes.changed_since, the
    one reader of what differs from a commit), read from HEAD: the bytes the publisher hashed.
    Git for Windows checks files out with CRLF (core.autocrlf), so the working tree's bytes differ
    from the commit's while nothing was edited; Git applies its own conversion when it compares.
    Nothing when `root` is not the top of a Git working tree."""
    if not paths:
        return {}
    from pipeline.changes import changed_since, open_repository, resolve_commit
    from pipeline.errors import UserError
    from pipeline.snapshot import CommitTree

    try:
        repo = open_repository(root, "")
        if Path(repo.workdir or "").resolve() != root.resolve():
            return {}
        head = resolve_commit(repo, "HEAD", "")
        changes = changed_since(root, str(head.id))
    except UserError:
        return {}
    differ = {*changes.bundles, *changes.removed}
    tree = CommitTree(head.tree)
    return {path: load_article(tree, path) for path in paths if path not in differ}


_MOST_LOOKUPS = 512  # same_name_findings: names x departments asked for one by one, at most


def same_name_findings(root: Path, paths: Sequence[PurePosixPath], *, most_lookups: int = _MOST_LOOKUPS) -> list[Finding]:
    """FM014 for each linted article whose folder name another article of its account has,
    looking at every article of those accounts (the other may not be part of this lint).
    `most_lookups`: above this many (names x departments) an account's folders are listed."""
    wanted = {(p.parts[1], p.parts[3]) for p in paths if len(p.parts) == 5}  # (account, folder name)
    everything = set(paths)
    for account in {account for account, _ in wanted}:
        names = sorted(folder for owner, folder in wanted if owner == account)
        departments = _folders(root / CONTENT_DIR / account)
        # Asking each department for each name (a stat, ~5 us) suits a pull request's few
        # articles: 5 names in 8 departments, not a listing of 10,000 folders (5 ms). A full
        # lint asks for every name: there, listing the departments' folders (the kind comes
        # with the listing) and asking only for the names found is cheaper: 0.15 s, not 0.54 s
        ask = len(names) * len(departments) <= most_lookups
        for department in departments:
            folder_of = root / CONTENT_DIR / account / department
            found = names if ask else [name for name in _folders(folder_of) if (account, name) in wanted]
            for folder in found:
                if (folder_of / folder / ARTICLE_FILE).is_file():
                    everything.add(PurePosixPath(CONTENT_DIR, account, department, folder, ARTICLE_FILE))
    clashes = same_names(everything)
    return [Finding(str(path), 1, 1, "FM014", f"账号 `{path.parts[1]}` 中还有同名的文章目录 "
                    f"{'、'.join(str(o.parent) for o in clashes[path])}:同一篇文章会被发布两次;若是同一篇,请删去其中一份,"
                    "若不是,请换一个短名") for path in paths if path in clashes]


def _folders(parent: Path) -> list[str]:
    """Names of the folders in `parent`, following links as `Path.is_dir` does (names, not Paths:
    10,000 Path objects cost 30 ms)."""
    try:
        with os.scandir(parent) as entries:
            return [entry.name for entry in entries if entry.is_dir()]
    except OSError:  # not there, or not a folder: no articles
        return []


def code_findings(policies: Policies) -> list[Finding]:
    """POL001: rule codes in policies.yaml that cannot do what they say. An override under
    `rules:` for a code no rule reports never applies (a typo leaves the rule as it was); a
    school rule or word list that takes a built-in code would be switched and counted with it."""
    own = {rule.code for rule in policies.custom_rules} | {w.code for w in policies.wordlists}
    findings = []
    for code in policies.rule_overrides:
        if code not in RULES and code not in own:
            close = difflib.get_close_matches(code, [*RULES, *own], n=1, cutoff=0.6)
            guess = f"(是否想写 `{close[0]}`?)" if close else ""
            findings.append(Finding(POLICY_FILE, policies.line_of("rules", code), 1, "POL001",
                                    f"rules 下的 `{code}` 不是任何规则的代码{guess},这项设置不会生效;"
                                    "代码见 wxpub 的 docs/rules.md"))
    for i, rule in enumerate(policies.custom_rules):
        if rule.code in RULES:
            findings.append(Finding(POLICY_FILE, policies.line_of("custom_rules", i, "code"), 1, "POL001",
                                    f"学校规则的代码 `{rule.code}` 与内置规则「{RULES[rule.code].title}」相同;"
                                    "请换一个学校自己的代码(如 SCH005)"))
    for i, wordlist in enumerate(policies.wordlists):
        if wordlist.code in RULES and not wordlist.code.startswith("WORD"):
            findings.append(Finding(POLICY_FILE, policies.line_of("wordlists", i, "code"), 1, "POL001",
                                    f"词表的代码 `{wordlist.code}` 与内置规则「{RULES[wordlist.code].title}」相同;"
                                    "请用 WORD001 或学校自己的代码(如 WORD003)"))
    return findings


def account_findings(policies: Policies, accounts: set[str], today: datetime.date) -> list[Finding]:
    """Certification, annual review and renewal dates of the accounts being linted (R19)."""
    findings = []
    for account_id in sorted(accounts & set(policies.accounts)):
        account = policies.accounts[account_id]
        for due in account.due_dates(today):
            where = f"accounts.{account_id}.certification.{due.key}"
            line = policies.line_of("accounts", account_id, "certification", due.key)
            if due.past:
                findings.append(Finding(POLICY_FILE, line, 1, "ACC002", f"账号「{account.name}」的{due.label}已于 {due.due} 过期;"
                                        f"请尽快办理,并更新 {where}"))
            elif account.due_soon(due):
                findings.append(Finding(POLICY_FILE, line, 1, "ACC001", f"账号「{account.name}」的{due.label}将于 {due.due} 到期"
                                        f"(还有 {due.days} 天);请及时办理,并更新 {where}"))
    return findings
