"""Publish what landed on main to WeChat: exactly once, at allowed times, recorded in the ledger.

A run (1) takes over the messages other runs left unfinished once their lease is over,
(2) deletes drafts of attempts that ended unsent, (3) plans from the commit's tree: what
is new or changed, approved, lint-clean and due by the schedule, in messages of up to 8
per account, plus retractions, and (4) claims and sends each message. Every step goes
through the ledger's state machine (pipeline.messages), and the calls are made by
pipeline.sending; this module decides what to do and reports what happened.
"""

from __future__ import annotations

import datetime
import math
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Mapping

import pygit2

from pipeline import anchor, sending
from pipeline.changes import open_repository
from pipeline.content import ARTICLE_FILE, CONTENT_DIR, REFUSAL_REASONS, Article, load_article, same_names
from pipeline.errors import UserError
from pipeline.ledger import FORMAT_VERSION, Entry, Ledger, LedgerConflict
from pipeline.lint.engine import lint_article
from pipeline.lint.model import Severity
from pipeline.messages import LedgerState, Message, Publication
from pipeline.policies import Account, Policies
from pipeline.progress import Progress
from pipeline.readertext import reader_text
from pipeline.records import ClaimedArticle, Failed, Moved, Record, Step
from pipeline.render import render_article
from pipeline.schedule import may_publish, parse_publish_at
from pipeline.snapshot import CommitTree, Snapshot
from pipeline.wechat import QUOTA_ERRORS, WeChat, WeChatError

if TYPE_CHECKING:  # the forge client loads only when approvals are checked
    from pipeline.provenance import Provenance

MAX_ARTICLES_PER_MESSAGE = 8  # WeChat: up to 8 articles in one draft / message
DEFAULT_LEASE = 600.0  # seconds another run leaves a message alone after its owner's last intent
FINAL_STATUSES = ("published", "drafted", "mass_sent")
ACCOUNT_GONE = ("文章已从仓库删除,但它所在的账号已不在 policies.yaml 中,wxpub 无法撤回(没有该账号的凭据):"
                "请在公众号后台手动删除它;或恢复该账号的配置,由下次运行撤回后再删除账号")


@dataclass(frozen=True)
class Outcome:
    """One line of the run's report (and of `--format json`)."""

    status: str  # published | drafted | mass_sent | queued | moved | retracted | failed
    path: str
    account: str
    message: str = ""
    media_id: str = ""
    article_id: str = ""
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "account": self.account, "status": self.status, "media_id": self.media_id,
                "article_id": self.article_id, "url": self.url, "message": self.message}


@dataclass(frozen=True)
class Candidate:
    article: Article
    account: Account
    approved_by: tuple[str, ...] = ()  # reviewers of the merged pull request, for the ledger

    @property
    def path(self) -> str:
        return str(self.article.path)

    @property
    def order(self) -> tuple[int, int, str]:
        fm = self.article.front_matter
        priority = fm.get("priority")
        return (0 if fm.get("headline") is True else 1, -(priority if isinstance(priority, int) else 0), self.path)


@dataclass(frozen=True)
class RetractionPlan:
    path: str
    account: str
    target: Publication  # the publication to undo


@dataclass(frozen=True)
class Plan:
    batches: tuple[tuple[Candidate, ...], ...]  # each one draft / message, headline first
    queued: tuple[Outcome, ...]
    failed: tuple[Outcome, ...]
    retractions: tuple[RetractionPlan, ...]
    in_flight: tuple[str, ...]  # messages other runs left unfinished (batch ids)
    # (old path, new path, account): moves to record; new path == old path: the move is over
    moves: tuple[tuple[str, str, str], ...] = ()


@dataclass
class Run:
    """The state of one `wxpub publish` run."""

    root: Path
    policies: Policies
    ledger: Ledger
    clients: Callable[[Account], WeChat]
    commit: str
    now: datetime.datetime  # aware
    source: Snapshot  # the commit's tree: articles, media and hashes never come from the working tree
    simulated: bool = False  # `now` is given (--now), not the wall clock
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    sleep: Callable[[float], None] = time.sleep
    # Whether each article and retraction was approved (pipeline/provenance.py); None: not checked
    gate: Provenance | None = None
    progress: Progress = Progress()  # a bar on a terminal (pipeline/progress.py); silent otherwise
    remote: str | None = None  # share every write with this remote before the next call (--push)
    lease: float = DEFAULT_LEASE
    wall: Callable[[], float] = time.time  # the real clock, for leases (even when `now` is simulated)
    known_lines: int = 0  # ledger lines the start-up checks (refuse_older_commit) saw; later ones: write()
    outcomes: list[Outcome] = field(default_factory=list)
    _contained: set[str] = field(default_factory=set)  # commits of later lines found in this run's commit
    # Each account's ledger anchor as this run last saw or wrote it (None: the account has none yet)
    anchors: dict[str, anchor.Anchor | None] = field(default_factory=dict)
    _wechat: dict[str, WeChat] = field(default_factory=dict)

    def wechat(self, account: Account) -> WeChat:
        if account.id not in self._wechat:
            client = self.clients(account)
            client.token()  # once per run: credential and whitelist problems surface before any upload
            self._wechat[account.id] = client
        return self._wechat[account.id]

    # -- the ledger ----------------------------------------------------------------------

    @property
    def state(self) -> LedgerState:
        return self.ledger.state(self.policies.tz)

    def entry(self, record: Record, account: str, path: str = "", content_hash: str = "",
              step: Step | None = None) -> Entry:
        # A simulated clock (--now) dates the entries too, so daily caps stay consistent
        at = self.now.astimezone(datetime.timezone.utc).isoformat(timespec="seconds") if self.simulated else _utc_now()
        return Entry(at=at, run=self.run_id, step=str(step or record.STEP), account=account, path=path,
                     content_hash=content_hash, commit=self.commit, data=record.to_data(),
                     id=uuid.uuid4().hex, v=FORMAT_VERSION)

    def write(self, *entries: Entry) -> bool:
        """Append, share with the remote, and say whether every line counts in the state."""
        for attempt in range(60):
            try:
                self.ledger.append(*entries)
                break
            except LedgerConflict:  # another process on this machine wrote first: go after it
                self.ledger.reload()
                self.sleep(min(0.02 * attempt, 0.5))
        else:
            raise LedgerConflict(where=self.ledger.ref)
        if self.remote:
            self.ledger.sync(self.remote)
        self.refuse_later_commits()
        void = self.state.void
        return not any(e.id in void for e in entries)

    def refuse_later_commits(self) -> None:
        """Stop before the next call to WeChat when another run has written, since this run's
        checks, lines of a commit this run's commit does not contain: a run of a later main
        finished while this one was slow, and going on would publish what that commit withdrew
        and retract what it added. Every send and delete is preceded by a write, so this runs
        before each (refuse_older_commit, asked about each such line)."""
        later = [e for e in self.ledger.entries[self.known_lines:]
                 if e.run != self.run_id and e.commit and e.commit != self.commit and e.commit not in self._contained]
        if not later:
            return
        repo = open_repository(self.root, "在文章仓库的克隆中运行 wxpub publish")
        head = repo[self.commit].peel(pygit2.Commit)
        for entry in later:
            refuse_older_commit(repo, head, [entry])
            self._contained.add(entry.commit)

    def anchor_ledger(self, account_id: str, unless_holding: str = "") -> None:
        """Make the account's anchor name the ledger's tip, which holds the line just written
        (and, with --push, shared): called before each submit and mass send and after a `moved`
        line. Only forward: an anchor the tip does not contain stops the run instead of being
        overwritten (refuse_rewound_ledger's rule), so a run on a rewound ledger cannot erase
        the evidence. A racing runner's anchor on a later commit stays beside ours (anchor.put
        adds a draft, it never overwrites one). `unless_holding`: a ledger line id; nothing is
        written when the anchor already holds that line."""
        tip = self.ledger.tip
        if tip is None:
            return
        if account_id not in self.anchors:
            client = self.wechat(self.policies.accounts[account_id])
            self.anchors[account_id] = kept_anchor(self, account_id, anchor.anchors(client.drafts()))
        current = self.anchors[account_id]
        if current is not None and (current.commit == tip or (
                unless_holding and self.ledger.holds(current.commit, unless_holding))):
            return
        client = self.wechat(self.policies.accounts[account_id])
        self.anchors[account_id] = anchor.put(client, current, tip, len(self.ledger.entries))

    def unchanged(self, articles: Iterable[ClaimedArticle]) -> bool:
        """Whether these articles are on the commit being published in the claimed version."""
        for claimed in articles:
            loaded = load_article(self.source, PurePosixPath(claimed.path))
            if not isinstance(loaded, Article) or loaded.content_hash != claimed.content_hash:
                return False
            if loaded.front_matter.get("retracted") is True:
                return False
        return True

    def lease_until(self) -> float:
        return self.wall() + self.lease

    # -- reporting -----------------------------------------------------------------------

    def fail(self, message: Message, text: str, paths: Iterable[str] | None = None) -> None:
        """Report the message's articles (or just `paths` of them) as failed."""
        self.outcomes.extend(Outcome("failed", p, message.account, text, media_id=message.media_id)
                             for p in (message.paths if paths is None else paths))

    def wait(self, message: Message, text: str, paths: Iterable[str] | None = None) -> None:
        """Report the message's articles (or just `paths` of them) as waiting."""
        self.outcomes.extend(Outcome("queued", p, message.account, text, media_id=message.media_id)
                             for p in (message.paths if paths is None else paths))

    def report_done(self, message: Message) -> None:
        texts = {"published": "已发表", "drafted": "已存入草稿箱,请运营人员在后台发表", "mass_sent": "已群发"}
        for path in message.paths:
            final = message.finals[path]
            if final.run != self.run_id:
                continue  # recorded by an earlier run, which reported it
            article_id = str(final.data.get("article_id") or final.data.get("msg_id") or "")
            self.outcomes.append(Outcome(final.step, path, message.account, texts.get(final.step, ""),
                                         media_id=str(final.data.get("media_id", "")), article_id=article_id,
                                         url=str(final.data.get("url", ""))))

    def cannot_retract(self, path: str, account: str, text: str) -> None:
        self.outcomes.append(Outcome("failed", path, account, text))

    def retracted(self, path: str, account: str, text: str, article_id: str) -> None:
        self.outcomes.append(Outcome("retracted", path, account, text, article_id=article_id))


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# -- planning ---------------------------------------------------------------------------


def articles_on(root: Path, commit: pygit2.Commit) -> list[PurePosixPath]:
    """index.md of every bundle in the commit's tree (what is on main, not what is checked out)."""
    try:
        content = commit.tree[CONTENT_DIR]
    except KeyError:
        return []
    found: list[PurePosixPath] = []
    stack: list[tuple[pygit2.Tree, PurePosixPath]] = [(content.peel(pygit2.Tree), PurePosixPath(CONTENT_DIR))]
    while stack:
        tree, prefix = stack.pop()
        for item in tree:
            if item.type_str == "tree":
                stack.append((item.peel(pygit2.Tree), prefix / str(item.name)))
            elif item.name == ARTICLE_FILE and len(prefix.parts) == 4:
                found.append(prefix / ARTICLE_FILE)
    return sorted(found)


def refuse_older_commit(repo: pygit2.Repository, head: pygit2.Commit, entries: Iterable[Entry]) -> None:
    """A run must publish from the commit the ledger last published from or a later one: a
    runner on an older checkout (a slow start, a re-run pinned to its commit) would put back
    what a newer commit retracted, and undo edits."""
    latest = next((e.commit for e in reversed(tuple(entries)) if e.commit), "")
    if not latest or latest == str(head.id):
        return
    hint = "在最新的 main 上运行(CI 中检出推送触发的分支的最新提交,fetch-depth: 0);若 main 的历史确实被改写,请先由管理员核对发布记录"
    try:
        newer = repo.descendant_of(head.id, pygit2.Oid(hex=latest))
    except (ValueError, KeyError, pygit2.GitError):
        raise UserError(f"发布记录最近一次发布自提交 {latest[:12]},本仓库中没有这个提交;无法确认本次检出不比它旧,不予发布",
                        hint=hint) from None
    if not newer:
        raise UserError(f"本次要发布的提交 {str(head.id)[:12]} 不包含发布记录最近一次发布所用的提交 {latest[:12]}"
                        "(检出的版本比它旧,或历史被改写):为免把已撤回或已修改的文章按旧版本发出,本次不予发布",
                        hint=hint)


CLOCK_TOLERANCE = datetime.timedelta(minutes=15)


def refuse_wrong_clock(now: datetime.datetime, server: datetime.datetime | None) -> None:
    """A run whose clock is off from WeChat's by more than CLOCK_TOLERANCE publishes nothing:
    behind, it files its publications under an earlier day; ahead, under a later one, and its
    ledger lines would make every correct runner after it look slow. `server` is WeChat's time
    (wechat.server_time; None: not known, and refuse_slow_clock is all there is)."""
    if server is None:
        return
    off = (now - server).total_seconds()
    if abs(off) > CLOCK_TOLERANCE.total_seconds():
        way = "晚" if off > 0 else "早"
        raise UserError(f"本机时钟({now.isoformat(timespec='minutes')})比微信服务器的时间"
                        f"({server.isoformat(timespec='minutes')}){way} {abs(off) / 3600:.1f} 小时:"
                        "按这个时钟记录的日期不对,会超过每日上限或发布时段,本次不予发布",
                        hint="校准运行器的系统时钟(NTP)后重新运行")


def refuse_slow_clock(now: datetime.datetime, entries: Iterable[Entry], *, clock_checked: bool) -> list[Entry]:
    """A run whose clock is well behind the ledger's newest line publishes nothing: it would
    file its publications under an earlier day (a VM restored from a snapshot, a wrong time
    zone) and pass the daily cap and the publishing windows. Runners share one ledger, so its
    newest line is the latest time any of them has seen. With the clock checked against
    WeChat's (`clock_checked`), lines later than it can only come from a wrong clock or a
    simulated time (--now): they are returned, to be reported, and do not lock this run out."""
    listed = [e for e in entries if e.at]
    ahead = [e for e in listed if datetime.datetime.fromisoformat(e.at) > now + CLOCK_TOLERANCE] if clock_checked else []
    ignored = {id(e) for e in ahead}
    latest = max((e.at for e in listed if id(e) not in ignored), default="")
    if not latest:
        return ahead
    seen = datetime.datetime.fromisoformat(latest)
    if now < seen - CLOCK_TOLERANCE:
        behind = seen - now
        raise UserError(f"本机时钟({now.isoformat(timespec='minutes')})比发布记录最新一条({latest[:16]} UTC)"
                        f"早 {behind.total_seconds() / 3600:.1f} 小时:按这个时钟会把发布记在更早的日期,超过每日上限或发布时段,"
                        "本次不予发布", hint="校准运行器的系统时钟(NTP)后重新运行")
    return ahead


def newer_on_remote(repo: pygit2.Repository, head: pygit2.Commit, remote: str, branch: str) -> str | None:
    """The remote's `branch` (the one that publishes: main) when it is a later commit than
    `head` (None when it is `head`): only the newest main publishes. A run of an older commit
    (a workflow re-run, which checks out its own commit, or a run that started late) would
    otherwise publish what a later commit withdrew before any run wrote to the ledger, where
    refuse_older_commit cannot see it. The branch is asked for by name, not through the
    remote's HEAD, which may name another branch or one that does not exist. Anything else is
    refused: a remote without the branch, a tip that cannot be fetched to compare, and a
    `head` the branch does not hold (an unpushed commit, or one taken off the branch by a
    force-push: what the branch no longer holds must not go out)."""
    ref = f"refs/heads/{branch}"
    try:
        listed = subprocess.run(["git", "-C", repo.workdir or repo.path, "ls-remote", remote, ref],
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        listed = subprocess.CompletedProcess([], returncode=-1, stdout="", stderr="")  # no answer in 60 s
    if listed.returncode != 0:
        raise UserError(f"无法从远程读取 {branch} 的最新提交,无法确认本次检出是最新的,不予发布",
                        hint="检查网络、远程名称和访问令牌;发布必须能访问远程仓库")
    tips = [line.split()[0] for line in listed.stdout.splitlines() if line.split()[1:] == [ref]]
    if not tips:
        raise UserError(f"远程仓库没有 {branch} 分支,无法确认本次检出是最新的,不予发布",
                        hint="用 --branch 指定发布所用的分支(默认 main),并确认它已推送到远程")
    tip = tips[0]
    if tip == str(head.id):
        return None
    if tip not in repo:  # a commit pushed after this checkout: fetch it to compare
        try:
            subprocess.run(["git", "-C", repo.workdir or repo.path, "fetch", "--quiet", "--no-tags",
                            "--no-write-fetch-head", remote, tip], capture_output=True, timeout=300)
        except subprocess.TimeoutExpired:
            pass  # still not here: refused below
    try:
        newer = repo.descendant_of(pygit2.Oid(hex=tip), head.id)
    except (ValueError, KeyError, pygit2.GitError):
        raise UserError(f"远程 {branch} 的最新提交 {tip[:12]} 无法取回比较,无法确认本次检出是最新的,不予发布",
                        hint="检查网络后重新运行;CI 中检出时用 fetch-depth: 0") from None
    if newer:
        return tip
    raise UserError(f"本次检出的提交 {str(head.id)[:12]} 不在远程的 {branch} 分支上({branch} 现在是 {tip[:12]}):"
                    f"尚未推送,或已被强制推送移出 {branch};只发布 {branch} 上的提交,本次不予发布",
                    hint=f"先把提交推送到 {branch} 再发布;若 {branch} 是被有意改回的,无需处理,{branch} 的最新提交的运行会发布")


def gone_publications(state: LedgerState, on_commit: Iterable[str]) -> dict[str, Publication]:
    """Articles that are out but whose folder is not on the commit (and not being retracted)."""
    present = set(on_commit)
    return {path: publication for path, publication in state.publications.items()
            if path not in present and path not in state.retractions and state.live_holder(path) is None}


def in_flight_elsewhere(state: LedgerState, on_commit: Iterable[str]) -> dict[str, Publication]:
    """Articles a live message is sending (claimed, not confirmed: a runner within its lease,
    or one that died) whose folder is not on the commit, as the publications their message may
    still make: a folder one of them moved to is the same piece, and publishing it before the
    message ends would send it twice. Its version is the one claimed, from the claim's commit."""
    present = set(on_commit)
    return {claimed.path: Publication(replace(message.started, path=claimed.path, content_hash=claimed.content_hash,
                                              account=message.account), message.media_id, 0)
            for message in state.messages.values() if message.live for claimed in message.articles
            if claimed.path not in present and claimed.path not in state.publications}


def recorded_moves_at_home(state: LedgerState, on_commit: Collection[str],
                           load: Callable[[str], Article | None]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Recorded moves whose old folder is on the commit again: ({new folder: old path} of those
    that still stand, the old paths whose move is over). Another article written in the freed
    old folder is an edit of the publication there, and the piece stays the article it moved
    to: sending that folder would be the piece's second time out. With the moved folder gone,
    published or marked `republish: true`, the piece is back home (the old folder is it, as
    before the move) and the move ends, so that the record cannot pair a later, unrelated
    article in that folder with it (find_moves pairs recorded moves first, whatever the text)."""
    standing: dict[str, str] = {}
    ended: list[str] = []
    for old, new in state.moves.items():
        publication = state.publications.get(old)
        if publication is None or old not in on_commit:
            continue
        if new not in on_commit or new in state.publications:
            ended.append(old)
            continue
        article = load(new)  # None: unreadable on this commit (reported as such): still the piece's folder
        if article is None or (article.account == publication.entry.account
                               and article.front_matter.get("republish") is not True):
            standing[new] = old
        else:
            ended.append(old)
    return standing, tuple(ended)


PublishedVersion = Callable[[Publication], "Article | None"]


def published_versions(root: Path) -> PublishedVersion:
    """The article as it was published: read from the commit its final line names (None when
    the line names no commit, as early version-1 lines may, or the article in it cannot be
    read). A commit the clone does not have (a shallow clone) is refused: the folder name alone
    would take an unrelated article reusing a withdrawn one's folder for a move, and the
    withdrawn article would stay out while the new one never went."""
    try:
        repo = open_repository(root, "")
    except UserError:  # not a clone: no commit to read a published version from
        return lambda _: None

    def version(publication: Publication) -> Article | None:
        named = publication.entry.commit
        if not named:
            return None
        try:
            commit = repo.revparse_single(named).peel(pygit2.Commit)
        except (KeyError, ValueError, TypeError, pygit2.GitError, pygit2.InvalidSpecError):
            raise UserError(f"{publication.path} 的文件夹已不在本次提交中,而它发布时所用的提交 {named[:12]} 不在本仓库中"
                            "(浅克隆?):无法判断本次提交中同一账号新出现的文章是它移动或改名后的版本还是另一篇文章,本次不予发布",
                            hint="用完整历史的克隆运行(CI 中检出时用 fetch-depth: 0)") from None
        loaded = load_article(CommitTree(commit.tree), PurePosixPath(publication.path))
        return loaded if isinstance(loaded, Article) else None
    return version


LastVersion = Callable[[str], "Article | None"]


def last_versions(root: Path, head: str) -> LastVersion:
    """A folder's article as it last was on `head`'s first-parent history (main's own states,
    newest first): where a recorded move's folder went, its edits since the move were never
    sent, and its next folder is compared with them as well as with the text as published
    (find_moves). None when no commit reachable in the clone has the folder (a shallow clone
    reads as far back as it goes)."""
    try:
        repo = open_repository(root, "")
        start: pygit2.Commit | None = repo.revparse_single(head).peel(pygit2.Commit)
    except (UserError, KeyError, ValueError, TypeError, pygit2.GitError, pygit2.InvalidSpecError):
        return lambda _: None

    def version(path: str) -> Article | None:
        commit = start
        while commit is not None:
            loaded = load_article(CommitTree(commit.tree), PurePosixPath(path))
            if isinstance(loaded, Article):
                return loaded
            try:
                commit = commit.parents[0] if commit.parents else None
            except (KeyError, pygit2.GitError):  # the edge of a shallow clone
                return None
        return None
    return version


# How alike a moved article must be to the published one to be the same piece: the Dice
# coefficient of their features (`_features`: what a reader sees, and the files). A reworded
# title plus a typo fixed every hundred characters stays above 0.9; the sample school's
# unrelated articles score at most 0.17 against each other. A folder name is dated and chosen
# by its editor, so a same-named folder only has to be alike; a renamed one has to be nearly
# the same, so that this week's notice written over last week's (a new folder, the old one
# deleted) is still published. Either way, sending the piece again would reach every follower
# twice, and a move that is really a new version says how to publish it.
SAME_FOLDER_LIKENESS = 0.8
RENAMED_FOLDER_LIKENESS = 0.9


Features = frozenset[tuple[str, int]]  # each feature with its occurrence number: a multiset as a set


def _dice(left: Features, right: Features) -> float:
    total = len(left) + len(right)
    return 2 * len(left & right) / total if total else 1.0


def _bigrams(text: str) -> Counter[str]:
    """Whitespace is left out (a re-wrapped paragraph is the same text); linear time and
    memory, whatever the text."""
    packed = "".join(text.split())
    return Counter(packed[i:i + 2] for i in range(len(packed) - 1))


def _counted(features: Counter[str]) -> Features:
    return frozenset((feature, n) for feature, count in features.items() for n in range(count))


def _features(article: Article) -> Features:
    """What makes an article the piece it is: the character bigrams of the text a reader sees
    (title, digest, author, body, the web addresses listed) and one feature per image or other
    file, by its bytes. Not the Markdown: two photo galleries written `![](1.jpg)` share every
    bigram of their syntax and file names, and differ only in their photos."""
    features = _bigrams(reader_text(article).text)
    features.update(f"file:{digest.hex()}" for digest in article.files.media_digests().values())
    return _counted(features)


def _rarest(features: Features, rarity: Callable[[tuple[str, int]], tuple[float, tuple[str, int]]]) -> list[tuple[str, int]]:
    """The rarest features, as many as any text at least SAME_FOLDER_LIKENESS alike must share
    one of (prefix filtering): Dice >= t needs an overlap of at least t/(2-t) of either side,
    and two sets that share that many share one of the first |set| - overlap + 1 in any one
    order. Rounded down, so never one too few. Only pairs that share one are scored: a
    department's folder renamed moves hundreds of articles at once, on every run after it."""
    needed = math.floor(SAME_FOLDER_LIKENESS * len(features) / (2 - SAME_FOLDER_LIKENESS))
    return sorted(features, key=rarity)[:len(features) - needed + 1]


def find_moves(gone: Mapping[str, Publication], articles: Iterable[Article],
               published: PublishedVersion, recorded: Mapping[str, str] | None = None,
               last: LastVersion | None = None) -> dict[str, str]:
    """{gone path: the folder it moved to}: published articles whose folder is gone from the
    commit, each paired with at most one unpublished article of its account that is the same
    article. Articles are keyed by path, so a move would otherwise be one retraction and one
    new publication: a mass send reaching every follower twice. Identical content pairs first,
    over all articles, so that an unrelated article reusing the old folder name cannot take the
    pair from the moved copy (which would then go out again). What is left pairs by likeness to
    the article as published (`published`): a same-named folder (a move to another department's
    folder, whose `department:` changes with it) at SAME_FOLDER_LIKENESS, any other folder at
    RENAMED_FOLDER_LIKENESS, the most alike pairs first: the first pair that passes is not
    always the right one (two campuses' versions of one notice, both moved, or one moved and
    the other new). An unrelated article reusing a withdrawn one's folder name is published and
    the withdrawn one retracted. An edit with `republish: true` is a new version, not a move.
    A move the ledger already records (`recorded`, old path -> new path) holds first, however
    the new folder was edited since; when that folder is gone, the others are compared with its
    last version too (`last`: a rename after edits is the same piece, as those edits were)."""
    waiting = list(articles)
    moves: dict[str, str] = {}
    taken: set[str] = set()
    by_path = {str(a.path): a for a in waiting}
    for path, to in (recorded or {}).items():
        article = by_path.get(to)
        if path in gone and article is not None and to not in taken and article.account == gone[path].entry.account \
                and article.front_matter.get("republish") is not True:
            moves[path] = to
            taken.add(to)

    def pair(scored: Iterable[tuple[float, bool, str, str]]) -> None:
        for _, _, path, new in sorted(scored, key=lambda s: (-s[0], not s[1], s[2], s[3])):
            if path not in moves and new not in taken:
                moves[path] = new
                taken.add(new)

    pair((1.0, True, path, str(article.path)) for article in waiting for path, publication in gone.items()
         if publication.entry.account == article.account and publication.entry.content_hash == article.content_hash)
    left = [a for a in waiting if str(a.path) not in taken and a.front_matter.get("republish") is not True]
    accounts = {a.account for a in left}
    # Read (from the commit each names) only the publications a left article could be the move of
    was = {path: published(publication) for path, publication in gone.items()
           if path not in moves and publication.entry.account in accounts}
    then = {path: _features(version) for path, version in was.items() if version is not None}
    # a recorded move's folder, gone too: the piece as it was there (edits never sent)
    moved_last = {path: (to, last(to)) for path, to in (recorded or {}).items()
                  if last is not None and path in then and to not in by_path}
    moved_then = {path: (to, _features(version)) for path, (to, version) in moved_last.items() if version is not None}
    compared = {gone[path].entry.account for path in was}
    now = {str(a.path): (a, _features(a)) for a in left if a.account in compared}
    frequency = Counter(f for features in [*then.values(), *(f for _, f in moved_then.values()),
                                           *(f for _, f in now.values())] for f in features)

    def rarity(feature: tuple[str, int]) -> tuple[int, tuple[str, int]]:
        return frequency[feature], feature

    holding: dict[tuple[str, int], list[str]] = {}
    for path, features in [*then.items(), *((path, f) for path, (_, f) in moved_then.items())]:
        for feature in _rarest(features, rarity):
            holding.setdefault(feature, []).append(path)
    scored: list[tuple[float, bool, str, str]] = []
    for new, (article, features) in now.items():
        alike = {path for feature in _rarest(features, rarity) for path in holding.get(feature, ())}
        for path in (alike if features else then):  # nothing to share: every one is a candidate
            versions = [(path, then[path]), *([moved_then[path]] if path in moved_then else [])]
            passing = [(likeness, same_name) for folder_of, version in versions
                       for same_name in [PurePosixPath(folder_of).parent.name == article.bundle.name]
                       for likeness in [_dice(version, features)]
                       if likeness >= (SAME_FOLDER_LIKENESS if same_name else RENAMED_FOLDER_LIKENESS)]
            if gone[path].entry.account == article.account and passing:
                likeness, same_name = max(passing)
                scored.append((likeness, same_name, path, new))
        # the publication names no commit (early version-1 lines): the folder name alone says
        scored.extend((0.0, True, path, new) for path, version in was.items() if version is None
                      and gone[path].entry.account == article.account
                      and PurePosixPath(path).parent.name == article.bundle.name)
    pair(scored)
    return moves


def plan(run: Run, paths: Iterable[PurePosixPath]) -> Plan:
    policies, state = run.policies, run.state
    present: set[str] = set()
    candidates: list[Candidate] = []
    failed: list[Outcome] = []
    retractions: list[RetractionPlan] = []
    paused = False  # an unapproved change to what renders every article stops all publishing

    waiting: list[Outcome] = []

    def retract(path: str, account: str, target: Publication, bundle: PurePosixPath | None = None) -> None:
        # Taking an article down needs the same proof as publishing it (and the operator's stage),
        # asked of the folder that says so (`bundle`: where a moved article now is). Once: the old
        # folder and the one a recorded move went to may both say `retracted: true`
        if any(r.path == path for r in retractions):
            return
        proof = run.gate.retraction(bundle or PurePosixPath(path).parent) if run.gate is not None else None
        if proof is not None and not proof.allowed:
            failed.append(Outcome("failed", path, account, proof.message))
        elif target.entry.step == Step.MASS_SENT and not sending.knows_msg_id(target):
            failed.append(Outcome("failed", path, account, sending.MASS_WITHOUT_MSG_ID))  # said every run
        elif target.entry.step == Step.DRAFTED and any(
                r.target.media_id == target.media_id for r in state.retractions.values() if r.path != path):
            # One rebuild of a draft at a time: the next starts from the draft the last one left
            waiting.append(Outcome("queued", path, account, "同一草稿中的另一篇文章正在撤回,完成后再撤回这一篇"))
        else:
            retractions.append(RetractionPlan(path, account, target))

    paths = list(paths)
    twins = same_names(paths)
    gone = gone_publications(state, (str(p) for p in paths))
    elsewhere = in_flight_elsewhere(state, (str(p) for p in paths))
    unpublished = (load_article(run.source, p) for p in paths if str(p) not in state.publications) \
        if gone or elsewhere else ()
    moved = find_moves({**gone, **elsewhere}, (a for a in unpublished if isinstance(a, Article)),  # old -> new path
                       published_versions(run.root), state.moves, last_versions(run.root, run.commit))
    def article_at(path: str) -> Article | None:
        loaded = load_article(run.source, PurePosixPath(path))
        return loaded if isinstance(loaded, Article) else None

    standing, ended = recorded_moves_at_home(state, {str(p) for p in paths}, article_at)
    moved_to = {new: old for old, new in moved.items() if old in gone} | standing
    sending_as = {new: old for old, new in moved.items() if old in elsewhere}
    for path in paths:
        present.add(str(path))
        if path in twins and str(path) not in state.publications:
            failed.append(Outcome("failed", str(path), path.parts[1], f"账号中还有同名的文章目录 "
                                  f"{'、'.join(str(t.parent) for t in twins[path])}(FM014);请删去重复的一份"))
            continue
        loaded = load_article(run.source, path)
        if not isinstance(loaded, Article):
            failed.append(Outcome("failed", str(path), path.parts[1], f"无法读取:{loaded.message}"))
            continue
        account = policies.accounts.get(loaded.account)
        if account is None:
            failed.append(Outcome("failed", str(path), loaded.account, "账号未在 policies.yaml 中定义"))
            continue
        previous = state.publications.get(str(path))
        if previous is None and str(path) in sending_as:
            waiting.append(Outcome("queued", str(path), account.id,
                                   f"与正在发布中的 {sending_as[str(path)]} 是同一篇文章(目录移动或改名);"
                                   "等那次发布完成后再判断,不会重复发送"))
            continue
        source = moved_to.get(str(path)) if previous is None else None
        if loaded.front_matter.get("retracted") is True:
            if previous is not None and str(path) not in state.retractions:
                retract(str(path), account.id, previous)
            elif source is not None:  # the moved article is taken down where it now is
                retract(source, account.id, state.publications[source], bundle=loaded.bundle)
            continue
        if source is not None:
            waiting.append(Outcome("moved", str(path), account.id,
                                     f"与已发布的 {source} 是同一篇文章(目录移动或改名);微信中的文章保持原样,"
                                     "不重复发布,也不撤回。若要发布修改后的新版本,请在 front matter 中写 republish: true"))
            continue
        if state.live_holder(str(path)) is not None:
            continue  # a message holds it: resumed, or left to the run that owns it
        if previous is not None and (previous.entry.content_hash == loaded.content_hash
                                     or loaded.front_matter.get("republish") is not True):
            continue  # published already (an edit needs `republish: true`; lint says so on the PR)
        moved_away = next((new for new, old in standing.items() if old == str(path)), None)
        if moved_away is not None:  # a new publication here would end the move, and the piece go out again
            failed.append(Outcome("failed", str(path), account.id,
                                  f"这里原来发布的文章已移到 {PurePosixPath(moved_away).parent}(发布记录中记着这次移动);"
                                  "在这个目录重新发布,那篇文章会被当作新文章再发一次。请把新文章放到新的目录"))
            continue
        refused = state.rejected.get((str(path), loaded.content_hash))
        if refused is not None:
            failed.append(Outcome("failed", str(path), account.id, _refused_text(refused)))
            continue
        errors = [f for f in lint_article(loaded, policies).findings if f.severity is Severity.ERROR]
        if errors:
            first = errors[0]
            failed.append(Outcome("failed", str(path), account.id,
                                  f"未通过检查({len(errors)} 个错误,首个:{first.code} 第 {first.line} 行 {first.message})"))
            continue
        # after lint: rendering here assumes a theme that renders (RENDER002 is an error above)
        unreadable = unservable(loaded, policies)
        if unreadable:
            failed.append(Outcome("failed", str(path), account.id, unreadable))
            continue
        approvers: tuple[str, ...] = ()
        if run.gate is not None:
            held = run.gate.held()  # checked once, and only when something is to be published
            if held:
                paused = True
                where = "、".join(held_path for held_path, _ in held)
                failed.append(Outcome("failed", str(path), account.id,
                                      f"PROV008 发布已暂停:{where} 有未经批准的改动,批准之前不发布任何文章"))
                continue
            proof = run.gate.publication(loaded.bundle)
            if not proof.allowed:
                failed.append(Outcome("failed", str(path), account.id, proof.message))
                continue
            approvers = proof.approvers
        candidates.append(Candidate(loaded, account, approvers))
    for gone_path, publication in state.publications.items():
        if gone_path in present or state.live_holder(gone_path) is not None or gone_path in state.retractions \
                or gone_path in moved:
            continue
        if publication.entry.account not in policies.accounts:  # no credentials to take it down with
            failed.append(Outcome("failed", gone_path, publication.entry.account, ACCOUNT_GONE))
            continue
        retract(gone_path, publication.entry.account, publication)
    if paused and run.gate is not None:  # say once which change stopped publishing, naming its commit
        failed.extend(Outcome("failed", held_path, "", proof.message) for held_path, proof in run.gate.held())
    batches, queued = _schedule(run, candidates)
    in_flight = tuple(m.batch for m in state.messages.values() if m.live)
    to_record = tuple((old, new, gone[old].entry.account) for old, new in moved.items()
                      if old in gone and state.moves.get(old) != new) \
        + tuple((old, old, state.publications[old].entry.account) for old in ended)  # back home
    return Plan(tuple(batches), tuple(waiting + queued), tuple(failed), tuple(retractions), in_flight, to_record)


def _refused_text(refused: Failed) -> str:
    status = refused.publish_status
    if status in (5, 6):  # it went out, then a person deleted it or WeChat banned it
        what = f"此版本已发表过,随后被{'删除' if status == 5 else '平台封禁'}(状态 {status})"
    else:
        why = f"(状态 {status})" if status else f"(errcode {refused.errcode})" if refused.errcode else "(提交后微信一直未列出它)"
        what = "此版本已被微信拒绝" + why
    return what + ";修改文章后才会重新提交"


def unservable(article: Article, policies: Policies) -> str:
    """Why the cover or a body image cannot be read from the bundle ("" when all can). Lint
    reports each of these as a binding finding (LINK001/LINK002 on an image, MEDIA001, FM001/FM002
    on the cover) that no suppression or policy override silences; here the resolver decides again."""
    problems = [f"{r.shown} {REFUSAL_REASONS[r.problem]}" for r in render_article(article, policies).refused]
    cover = article.front_matter.get("cover")
    resolved = article.files.resolve(cover) if isinstance(cover, str) and cover else None
    if resolved is None:
        problems.append("封面(cover)未填写")  # FM001 says so, unless a policy switched it off
    elif resolved.problem:
        problems.append(f"封面 {cover} {REFUSAL_REASONS[resolved.problem]}")
    return ("文章引用的文件无法从文章目录读取(" + "、".join(problems) + ");请把文件本身放进文章目录后重新提交") if problems else ""


def _schedule(run: Run, candidates: list[Candidate]) -> tuple[list[tuple[Candidate, ...]], list[Outcome]]:
    """Which candidates go now, grouped per account into messages of up to 8; the rest wait."""
    tz = run.policies.tz
    local_now = run.now.astimezone(tz)
    batches: list[tuple[Candidate, ...]] = []
    queued: list[Outcome] = []
    by_account: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: c.order):
        by_account.setdefault(candidate.account.id, []).append(candidate)
    for account_id, group in sorted(by_account.items()):
        account = run.policies.accounts[account_id]
        today = run.ledger.count_on(account_id, local_now.date(), tz)
        going: list[Candidate] = []
        # A mass send reaches followers' chats and has a tiny quota: one message per run
        room = MAX_ARTICLES_PER_MESSAGE if account.publish_mode == "mass" else len(group)
        for candidate in group:
            publish_at = parse_publish_at(candidate.article.front_matter.get("publish_at"), tz)
            verdict = may_publish(account, local_now, publish_at, today + len(going))
            if verdict.allowed and len(going) < room:
                going.append(candidate)
            else:
                reason = verdict.reason or "本条消息已满 8 篇,下次发布"
                queued.append(Outcome("queued", candidate.path, account_id, reason))
        for start in range(0, len(going), MAX_ARTICLES_PER_MESSAGE):
            batches.append(tuple(going[start:start + MAX_ARTICLES_PER_MESSAGE]))
    return batches, queued


# -- executing --------------------------------------------------------------------------


def guarded(run: Run, exhausted: dict[str, WeChatError], account_id: str, step: Callable[[], None]) -> None:
    """Run one account's step; a quota error (45009 for one API's calls of the day, 45028 for
    mass sends) ends that step cleanly, its articles queued. WeChat's quotas are per API, so the
    account's other steps go on (a retraction still deletes when polling used up its quota);
    the client refuses further calls of a used-up API itself, without asking WeChat."""
    try:
        step()
    except WeChatError as error:
        if error.errcode not in QUOTA_ERRORS:
            raise
        if not any(o.account == account_id and not o.path and o.message == str(error) for o in run.outcomes):
            run.outcomes.append(Outcome("failed", "", account_id, str(error)))
        exhausted[account_id] = error


REWIND_MARGIN = 20  # publications listed past the newest one of an attempt the ledger knows
REWOUND_HINT = ("从仍有完整记录的克隆推回 refs/wxpub/ledger(git push origin <完整记录的提交>:refs/wxpub/ledger),"
                "并用规则保护该引用;wxpub status --verify 可核对")


def refuse_rewound_ledger(run: Run, accounts: Iterable[str], refetch: Callable[[], None]) -> None:
    """A ledger that lost lines would send those articles again: anyone who can push to the
    repository can push an older refs/wxpub/ledger (no branch protection covers it), and a
    restored backup can be old. So before the first call that could send, each account's
    drafts and newest publications are listed (_listed_attempts): every wxpub marker in them
    must name an attempt the ledger knows, and the account's ledger anchor (pipeline/anchor.py)
    must name a commit the ledger holds: that covers what WeChat cannot list (mass sends,
    `moved` lines, publications far down the list). The ledger is fetched again after the
    listing (`refetch`), so an attempt or anchor another runner wrote (and shared) before it
    is known. A missing anchor is not a refusal: the run's first sending step creates it."""
    seen: dict[str, tuple[set[str], list[anchor.Anchor]]] = {}
    known_before = run.state.attempts
    for account_id in sorted(set(accounts)):
        account = run.policies.accounts[account_id]
        seen[account_id] = _listed_attempts(run.wechat(account), known_before, unlisted_ok=drafts_only(account))
    refetch()
    known = run.state.attempts
    for account_id, (batches, found) in seen.items():
        unknown = sorted(batches - known)
        if unknown:
            raise UserError(f"账号 {account_id} 在微信中有 wxpub 发出的草稿或文章(尝试 {', '.join(unknown[:3])}),"
                            "发布记录里却没有:发布记录丢了记录(被强制推送成旧版本,或从旧备份恢复),"
                            "照它发布会把这些文章再发一次,本次不予发布", hint=REWOUND_HINT)
        run.anchors[account_id] = kept_anchor(run, account_id, found)


def drafts_only(account: Account) -> bool:
    """Whether a 48001 to the account's publication list means it has none: only in draft mode,
    the one mode an unverified account (no freepublish/* API since July 2025) can have. Any
    other account answering 48001 (a proxy, one bad answer) may hide what a rewound ledger lost."""
    return account.publish_mode == "draft"


def unwitnessed_moves(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Per account, its last `moved` line when none of its `submitting` / `mass_sending` lines
    came after it: only such a send would have carried its anchor past the line, so the run
    lists the account (refuse_rewound_ledger) and, when its anchor does not hold the line (the
    run that wrote it was killed before its anchor update), makes the anchor name it."""
    last: dict[str, Entry] = {}
    for entry in entries:
        if entry.step == Step.MOVED:
            last[entry.account] = entry
        elif entry.step in (Step.SUBMITTING, Step.MASS_SENDING):
            last.pop(entry.account, None)
    return last


def kept_anchor(run: Run, account_id: str, found: list[anchor.Anchor]) -> anchor.Anchor | None:
    """The account's one anchor, once every anchor listed names a commit the ledger holds (else
    the ledger was rewound: refused). Racing first runs may have made several: the one naming
    the newest commit stays, the others are deleted."""
    for listed in found:
        if not listed.commit:  # edited by hand in the back end: it witnesses nothing any more
            raise UserError(f"账号 {account_id} 的发布记录锚点(草稿「{anchor.TITLE}」)的内容无法识别"
                            "(可能被人在公众号后台修改过),无法核对发布记录是否被改回旧版本,本次不予发布",
                            hint="用 wxpub status --verify 确认发布记录完整后,在公众号后台删除这篇草稿;"
                                 "下一次发布会重新建立它")
        if not run.ledger.contains(listed.commit):
            named = listed.commit[:12]
            raise UserError(f"账号 {account_id} 的发布记录锚点(草稿「{anchor.TITLE}」)指向发布记录的提交 {named},"
                            f"发布记录里却没有这个提交({run.ledger.ref} 的历史中找不到它,或它的记录已被删改):发布记录丢了记录"
                            "(被强制推送成旧版本,或从旧备份恢复),照它发布会把已群发、已发表或已移动目录的文章再发一次,"
                            "本次不予发布", hint=REWOUND_HINT)
    if not found:
        return None
    newest = sorted(found, key=lambda a: (-a.lines, a.media_id))
    keep = next(a for a in newest if not any(run.ledger.newer(b.commit, a.commit) for b in found))
    client = run.wechat(run.policies.accounts[account_id])
    for extra in found:
        if extra.media_id != keep.media_id:
            client.delete_draft_if_present(extra.media_id)
    return keep


def _listed_attempts(client: WeChat, known: frozenset[str], *,
                     unlisted_ok: bool) -> tuple[set[str], list[anchor.Anchor]]:
    """The wxpub attempts whose markers an account's drafts and publications carry, and the
    anchors in its draft box: the whole draft box (the operator's own drafts may fill the
    newest pages, and editing an old draft moves it to the top), and the publications, newest
    first, down to REWIND_MARGIN past the newest one of an attempt in `known` (publications
    keep their order; the margin covers an attempt that started before a known one and went
    out after it). A 48001 (no publication list) is taken as such only when `unlisted_ok`
    (drafts_only: an account in draft mode)."""
    drafts = list(client.drafts())
    seen = sending.marked_batches(drafts)
    stop: int | None = None
    try:
        for position, item in enumerate(client.published()):
            batches = sending.marked_batches([item])
            seen |= batches
            if stop is None and batches & known:
                stop = position + REWIND_MARGIN
            if stop is not None and position >= stop:
                break
    except WeChatError as error:
        # An unverified account (48001) has no publication list, and can send nothing to one:
        # its drafts are all there is. Refusing here stopped every account's run, every time.
        if not (error.no_publishing_api and unlisted_ok):
            raise
    return seen, anchor.anchors(drafts)


def resume(run: Run, exhausted: dict[str, WeChatError]) -> None:
    """Before planning: finish what other runs left once their lease is over, and delete
    drafts of attempts that ended unsent. A message still within its owner's lease is left
    alone and its articles are reported as waiting."""
    state = run.state
    now = run.wall()
    for message in list(state.messages.values()):
        if message.account not in run.policies.accounts:
            continue
        if message.live:
            if message.lease_until > now:
                run.wait(message, "另一次发布运行正在处理(或刚中断);其租约到期后由后续运行接管,不会重复发送")
                continue
            run.progress.note(f"接管上次未完成的发布:{', '.join(message.paths)}")
            guarded(run, exhausted, message.account, lambda m=message: _take_over(run, m))  # type: ignore[misc]
        elif sending.needs_sweep(message, now):
            guarded(run, exhausted, message.account, lambda m=message: sending.sweep_message(run, m))  # type: ignore[misc]
    for retraction in list(state.retractions.values()):
        if retraction.account not in run.policies.accounts:
            run.outcomes.append(Outcome("failed", retraction.path, retraction.account, ACCOUNT_GONE))
            continue
        if retraction.record.lease_until > now and retraction.owner != run.run_id:
            continue
        guarded(run, exhausted, retraction.account, lambda r=retraction: sending.resume_retraction(run, r))  # type: ignore[misc]


def _take_over(run: Run, message: Message) -> None:
    if sending.take_over(run, message):
        sending.settle_taken_over(run, run.state.messages[message.batch])


def execute(run: Run, plan_: Plan, exhausted: dict[str, WeChatError]) -> list[Outcome]:
    """Retract, then publish the batches of the plan (made after `resume`)."""
    run.outcomes.extend(plan_.failed)
    if plan_.moves:  # before anything is sent: a later run must see these as moves whatever is edited
        run.refuse_later_commits()
        run.write(*(run.entry(Moved(to=new), account, path=old) for old, new, account in plan_.moves))
        # a move sends nothing WeChat lists: the account's anchor witnesses the line
        for account_id in sorted({account for _, _, account in plan_.moves if account in run.policies.accounts}):
            run.anchor_ledger(account_id)
    # a run killed between a `moved` line and its anchor update left the line unwitnessed: now
    for account_id, line in sorted(unwitnessed_moves(run.ledger.entries).items()):
        if account_id in run.policies.accounts:
            run.anchor_ledger(account_id, unless_holding=line.id)
    run.progress.expect(len(plan_.retractions) + len(plan_.batches))
    for retraction in plan_.retractions:
        run.progress.working_on(f"撤回 {retraction.path}")
        guarded(run, exhausted, retraction.account,
                lambda r=retraction: sending.retract(run, r.path, r.target))  # type: ignore[misc]
        run.progress.advance()
    for batch in plan_.batches:
        run.progress.working_on(f"{batch[0].account.name}:发布 {len(batch)} 篇")
        guarded(run, exhausted, batch[0].account.id, lambda b=batch: _publish_batch(run, b))  # type: ignore[misc]
        run.progress.advance()
    handled = {o.path for o in run.outcomes}
    run.outcomes.extend(Outcome("queued", c.path, c.account.id, "接口配额已用完,下次运行继续")
                        for batch in plan_.batches for c in batch
                        if c.account.id in exhausted and c.path not in handled)
    # A retraction its account's quota stopped is said, never skipped without a word
    pending = dict.fromkeys([*((r.path, r.account) for r in plan_.retractions),
                             *((r.path, r.account) for r in run.state.retractions.values())])
    run.outcomes.extend(Outcome("queued", path, account, "接口配额已用完,撤回尚未完成;下次运行继续撤回")
                        for path, account in pending if account in exhausted and path not in handled)
    run.outcomes.extend(plan_.queued)
    return run.outcomes


def _publish_batch(run: Run, batch: tuple[Candidate, ...]) -> None:
    account = batch[0].account
    built: list[sending.Built] = []
    for candidate in batch:
        result = sending.build(run, candidate)
        if isinstance(result, str):
            run.outcomes.append(Outcome("failed", candidate.path, account.id, result))
        else:
            built.append(result)
    if not built:
        return
    run.wechat(account)  # credentials and whitelist checked before anything is claimed
    local_day = run.now.astimezone(run.policies.tz).date().isoformat()
    cap = account.schedule.daily_cap or 0
    message = sending.start(run, built, local_day, cap)
    if message is None:
        run.outcomes.extend(Outcome("queued", b.candidate.path, account.id,
                                    "另一次发布运行已认领或发布了其中的文章(或已达每日上限);本次不重复发送")
                            for b in built)
        return
    sending.send_new(run, message, built)


def summarize(outcomes: Iterable[Outcome]) -> dict[str, list[dict[str, str]]]:
    """{"published": [...], "queued": [...], "retracted": [...], "failed": [...]} for --format json."""
    groups: dict[str, list[dict[str, str]]] = {"published": [], "queued": [], "retracted": [], "failed": []}
    for outcome in outcomes:
        key = "published" if outcome.status in FINAL_STATUSES else outcome.status
        groups.setdefault(key, []).append(outcome.as_dict())
    return groups

