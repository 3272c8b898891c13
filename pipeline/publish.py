"""Publish what landed on main to WeChat: exactly once, at allowed times, recorded in the ledger.

The order of every irreversible call is: write the intent to the ledger, make the call,
write the result. A run killed anywhere leaves the ledger saying how far it got; the next
run resumes from there, and where the ledger cannot say whether a call went through (the
process died during it) it asks WeChat's own lists (draft/batchget, freepublish/batchget)
for the article's marker: its title together with its cover's permanent media_id.
"""

from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

import pygit2

from pipeline.content import ARTICLE_FILE, CONTENT_DIR, Article, load_article
from pipeline.ledger import Entry, Ledger
from pipeline.lint.engine import lint_one
from pipeline.lint.model import Severity
from pipeline.policies import Account, Policies
from pipeline.render import render_article
from pipeline.schedule import may_publish, parse_publish_at
from pipeline.wechat import QUOTA_ERRORS, WeChat, WeChatError

MAX_ARTICLES_PER_MESSAGE = 8  # WeChat: up to 8 articles in one draft / message
MAX_CONTENT_CHARS, MAX_CONTENT_BYTES = 20_000, 1024 * 1024  # draft/add: content < 20,000 characters and < 1 MB
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # freepublish/get has a small daily quota: back off
FINAL_STEPS = ("published", "drafted", "mass_sent")


@dataclass(frozen=True)
class Outcome:
    """One line of the run's report (and of `--format json`)."""

    status: str  # published | drafted | mass_sent | queued | retracted | failed
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
class Retraction:
    path: str
    account: str
    entry: Entry  # the publication to undo


@dataclass(frozen=True)
class Plan:
    batches: tuple[tuple[Candidate, ...], ...]  # each one draft / message, headline first
    queued: tuple[Outcome, ...]
    failed: tuple[Outcome, ...]
    retractions: tuple[Retraction, ...]
    in_flight: tuple[str, ...]  # batch ids a previous run left unfinished


@dataclass
class Run:
    """The state of one `wxpub publish` run."""

    root: Path
    policies: Policies
    ledger: Ledger
    clients: Callable[[Account], WeChat]
    commit: str
    now: datetime.datetime  # aware
    simulated: bool = False  # `now` is given (--now), not the wall clock
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    sleep: Callable[[float], None] = time.sleep
    # (approved, why not, approvers) for an article's merged pull request; None: not checked
    approval: Callable[[Article], tuple[bool, str, tuple[str, ...]]] | None = None
    progress: Callable[[str], None] = lambda _: None
    outcomes: list[Outcome] = field(default_factory=list)
    _wechat: dict[str, WeChat] = field(default_factory=dict)

    def wechat(self, account: Account) -> WeChat:
        if account.id not in self._wechat:
            client = self.clients(account)
            client.token()  # once per run: credential and whitelist problems surface before any upload
            self._wechat[account.id] = client
        return self._wechat[account.id]

    def record(self, step: str, account: str, path: str = "", content_hash: str = "", **data: Any) -> Entry:
        # A simulated clock (--now) dates the entries too, so daily caps stay consistent
        at = self.now.astimezone(datetime.timezone.utc).isoformat(timespec="seconds") if self.simulated else _utc_now()
        entry = Entry(at=at, run=self.run_id, step=step, account=account, path=path,
                      content_hash=content_hash, commit=self.commit, data=data)
        self.ledger.append(entry)
        return entry


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


def plan(run: Run, paths: Iterable[PurePosixPath]) -> Plan:
    policies, ledger = run.policies, run.ledger
    published = {e.path: e for e in ledger.published()}
    in_flight = _in_flight(ledger)
    busy_paths = {p for batch in in_flight.values() for p in batch["paths"]}
    present: set[str] = set()
    candidates: list[Candidate] = []
    failed: list[Outcome] = []
    retractions: list[Retraction] = []
    for path in paths:
        present.add(str(path))
        loaded = load_article(run.root, path)
        if not isinstance(loaded, Article):
            failed.append(Outcome("failed", str(path), path.parts[1], f"无法读取:{loaded.message}"))
            continue
        account = policies.accounts.get(loaded.account)
        if account is None:
            failed.append(Outcome("failed", str(path), loaded.account, "账号未在 policies.yaml 中定义"))
            continue
        previous = published.get(str(path))
        if loaded.front_matter.get("retracted") is True:
            if previous is not None:
                retractions.append(Retraction(str(path), account.id, previous))
            continue
        if str(path) in busy_paths:
            continue  # a previous run's batch holds it; resumed below
        if previous is not None and (previous.content_hash == loaded.content_hash
                                     or loaded.front_matter.get("republish") is not True):
            continue  # published already (an edit needs `republish: true`; lint says so on the PR)
        errors = [f for f in lint_one(run.root, policies, path).findings if f.severity is Severity.ERROR]
        if errors:
            first = errors[0]
            failed.append(Outcome("failed", str(path), account.id,
                                  f"未通过检查({len(errors)} 个错误,首个:{first.code} 第 {first.line} 行 {first.message})"))
            continue
        approvers: tuple[str, ...] = ()
        if run.approval is not None:
            approved, why, approvers = run.approval(loaded)
            if not approved:
                failed.append(Outcome("failed", str(path), account.id, why))
                continue
        candidates.append(Candidate(loaded, account, approvers))
    retractions.extend(Retraction(path, entry.account, entry) for path, entry in published.items()
                       if path not in present and path not in busy_paths)
    batches, queued = _schedule(run, candidates)
    return Plan(tuple(batches), tuple(queued), tuple(failed), tuple(retractions), tuple(in_flight))


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


def _in_flight(ledger: Ledger) -> dict[str, dict[str, Any]]:
    """Batches whose draft was started but that reached no final state, by batch id."""
    batches: dict[str, dict[str, Any]] = {}
    for entry in ledger.entries:
        batch = entry.data.get("batch")
        if not batch:
            continue
        if entry.step == "draft_adding":
            batches[batch] = {"account": entry.account, "paths": list(entry.data["paths"]),
                              "hashes": list(entry.data["hashes"]), "markers": list(entry.data["markers"]),
                              "approved_by": list(entry.data.get("approved_by", [])),
                              "articles": entry.data.get("articles", []), "last": entry}
        elif batch in batches:
            batches[batch]["last"] = entry
            if entry.step in FINAL_STEPS + ("failed", "abandoned"):
                batches[batch]["done"] = True
    return {k: v for k, v in batches.items() if not v.get("done")}


# -- executing --------------------------------------------------------------------------


def guarded(run: Run, exhausted: dict[str, WeChatError], account_id: str, step: Callable[[], None]) -> None:
    """Run one account's step; a quota error (45009 calls, 45028 mass sends) stops that
    account cleanly, with the rest of its articles queued, and the other accounts go on."""
    if account_id in exhausted:
        return
    try:
        step()
    except WeChatError as error:
        if error.errcode not in QUOTA_ERRORS:
            raise
        exhausted[account_id] = error
        run.outcomes.append(Outcome("failed", "", account_id, str(error)))


def resume(run: Run, exhausted: dict[str, WeChatError]) -> None:
    """Finish what a killed run left, before planning, so its articles are not planned twice."""
    for batch_id, unfinished in _in_flight(run.ledger).items():
        guarded(run, exhausted, unfinished["account"], lambda: _resume(run, batch_id, unfinished))


def execute(run: Run, plan_: Plan, exhausted: dict[str, WeChatError]) -> list[Outcome]:
    """Retract, then publish the batches of the plan (made after `resume`)."""
    run.outcomes.extend(plan_.failed)
    total = len(plan_.retractions) + len(plan_.batches)
    for number, retraction in enumerate(plan_.retractions, 1):
        run.progress(f"[{number}/{total}] 撤回 {retraction.path}")
        guarded(run, exhausted, retraction.account, lambda: _retract(run, retraction))
    for number, batch in enumerate(plan_.batches, len(plan_.retractions) + 1):
        run.progress(f"[{number}/{total}] {batch[0].account.name}:发布 {len(batch)} 篇")
        guarded(run, exhausted, batch[0].account.id, lambda: _publish_batch(run, batch))
    handled = {o.path for o in run.outcomes}
    run.outcomes.extend(Outcome("queued", c.path, c.account.id, "接口配额已用完,下次运行继续")
                        for batch in plan_.batches for c in batch
                        if c.account.id in exhausted and c.path not in handled)
    run.outcomes.extend(plan_.queued)
    return run.outcomes


def _upload(run: Run, client: WeChat, candidate: Candidate, name: str, kind: str) -> Mapping[str, Any]:
    """Upload one bundle file once ever: the ledger remembers uploads by content hash."""
    data = (run.root / candidate.article.bundle / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    known = run.ledger.uploads(candidate.account.id).get(digest)  # media_ids belong to one account
    if known and known.get("kind") == kind:
        return known
    if kind == "cover":
        media_id, url = client.upload_cover(data, PurePosixPath(name).name)
        entry = run.record("cover_uploaded", candidate.account.id, candidate.path, sha=digest, media_id=media_id, url=url)
    else:
        url = client.upload_body_image(data, PurePosixPath(name).name)
        entry = run.record("image_uploaded", candidate.account.id, candidate.path, sha=digest, url=url)
    return {**entry.data, "kind": kind}


def _draft_article(run: Run, client: WeChat, candidate: Candidate) -> dict[str, Any]:
    """The draft/add article dict, with every image uploaded and its URL in the content."""
    article = candidate.article
    urls: dict[str, str] = {}
    for name in render_article(article, run.policies).images:
        if not name.startswith(("http://", "https://")):
            urls[name] = str(_upload(run, client, candidate, name, "image")["url"])
    cover = _upload(run, client, candidate, str(article.front_matter["cover"]), "cover")
    rendered = render_article(article, run.policies, image_url=lambda target: urls.get(target, target))
    comments = article.front_matter.get("comments", "open")
    return {
        "article_type": "news",
        "title": rendered.title,
        "author": rendered.author,
        "digest": rendered.digest,
        "content": rendered.content,
        "content_source_url": rendered.content_source_url,
        "thumb_media_id": str(cover["media_id"]),
        "need_open_comment": 0 if comments == "closed" else 1,
        "only_fans_can_comment": 1 if comments == "fans" else 0,
    }


def clientmsgid(hashes: Iterable[str]) -> str:
    """Derived from the content, so a resend of the same message is recognised by WeChat."""
    return "wxpub-" + hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:40]


def _publish_batch(run: Run, batch: tuple[Candidate, ...]) -> None:
    account = batch[0].account
    client = run.wechat(account)
    built = [(c, _draft_article(run, client, c)) for c in batch]
    too_long = [(c, a) for c, a in built if len(a["content"]) >= MAX_CONTENT_CHARS
                or len(a["content"].encode()) >= MAX_CONTENT_BYTES]
    run.outcomes.extend(Outcome("failed", c.path, account.id, f"渲染后的 HTML 有 {len(a['content'])} 字符,超过微信上限 "
                                f"{MAX_CONTENT_CHARS}(多为过长的代码块);请缩短代码或拆分文章") for c, a in too_long)
    built = [(c, a) for c, a in built if (c, a) not in too_long]
    if not built:
        return
    batch = tuple(c for c, _ in built)
    articles = [a for _, a in built]
    batch_id = uuid.uuid4().hex[:16]
    run.record("draft_adding", account.id, batch=batch_id, paths=[c.path for c in batch],
               hashes=[c.article.content_hash for c in batch], approved_by=[list(c.approved_by) for c in batch],
               markers=[[a["title"], a["thumb_media_id"]] for a in articles])
    try:
        media_id = client.add_draft(articles)
    except WeChatError as error:
        if not error.transient:  # WeChat answered no: nothing was created, nothing to recover
            run.record("abandoned", account.id, batch=batch_id, errcode=error.errcode)
        raise
    start = run.record("draft_added", account.id, batch=batch_id, media_id=media_id)
    _continue(run, batch_id, {"account": account.id, "paths": [c.path for c in batch],
                              "hashes": [c.article.content_hash for c in batch], "last": start,
                              "approved_by": [list(c.approved_by) for c in batch]})


def _resume(run: Run, batch_id: str, batch: dict[str, Any]) -> None:
    account = run.policies.accounts[batch["account"]]
    client = run.wechat(account)
    last: Entry = batch["last"]
    run.progress(f"继续上次未完成的发布:{', '.join(batch['paths'])}")
    if last.step == "draft_adding":
        media_id = _find_draft(client, batch["markers"])
        if media_id is None:  # the draft/add never happened: let this run plan the articles afresh
            run.record("abandoned", account.id, batch=batch_id, reason="draft_not_found")
            return
        batch["last"] = run.record("draft_added", account.id, batch=batch_id, media_id=media_id, recovered=True)
    _continue(run, batch_id, batch)


def _continue(run: Run, batch_id: str, batch: dict[str, Any]) -> None:
    """From a recorded step onwards, by the account's publish mode."""
    account = run.policies.accounts[batch["account"]]
    client = run.wechat(account)
    last: Entry = batch["last"]
    media_id = _media_id(run.ledger, batch_id)
    paths, hashes = batch["paths"], batch["hashes"]
    if account.publish_mode == "draft":
        for index, (path, content_hash) in enumerate(zip(paths, hashes), 1):
            run.record("drafted", account.id, path, content_hash, batch=batch_id, media_id=media_id, index=index,
                       approved_by=_approvers(run.ledger, batch_id, index))
            run.outcomes.append(Outcome("drafted", path, account.id, "已存入草稿箱,请运营人员在后台发表", media_id=media_id))
        return
    if account.publish_mode == "mass":
        msgid = clientmsgid(hashes)
        if last.step != "mass_sending":
            run.record("mass_sending", account.id, batch=batch_id, media_id=media_id, clientmsgid=msgid)
        msg_id = client.mass_send(media_id, msgid)
        for index, (path, content_hash) in enumerate(zip(paths, hashes), 1):
            run.record("mass_sent", account.id, path, content_hash, batch=batch_id, media_id=media_id,
                       approved_by=_approvers(run.ledger, batch_id, index),
                       msg_id=msg_id, index=index)
            run.outcomes.append(Outcome("mass_sent", path, account.id, "已群发", media_id=media_id, article_id=msg_id))
        return
    publish_id = str(last.data.get("publish_id", "")) if last.step == "submitted" else ""
    if last.step == "submitting":
        if client.get_draft(media_id) is None:  # gone from the draft box: the submit went through
            found = _find_publication(client, batch.get("markers") or _markers(run.ledger, batch_id))
            if found is None:
                run.outcomes.extend(Outcome("failed", p, account.id, "上次提交发表后中断,微信尚未列出该文章;请稍后重新运行")
                                    for p in paths)
                return
            _record_published(run, batch_id, account, paths, hashes, media_id, found, "")
            return
    if not publish_id:
        run.record("submitting", account.id, batch=batch_id, media_id=media_id)
        try:
            publish_id = client.submit(media_id)
        except WeChatError as error:
            if error.transient or error.errcode in QUOTA_ERRORS:
                raise  # unknown outcome, or try again later: the ledger resumes from "submitting"
            client.delete_draft(media_id)  # refused for good: leave no orphaned draft behind
            run.record("failed", account.id, batch=batch_id, errcode=error.errcode)
            run.outcomes.extend(Outcome("failed", p, account.id, str(error), media_id=media_id) for p in paths)
            return
        run.record("submitted", account.id, batch=batch_id, media_id=media_id, publish_id=publish_id)
    _poll(run, client, batch_id, account, paths, hashes, media_id, publish_id)


def _poll(run: Run, client: WeChat, batch_id: str, account: Account, paths: list[str], hashes: list[str],
          media_id: str, publish_id: str) -> None:
    for delay in (0.0, *POLL_DELAYS):
        run.sleep(delay)
        status = client.publish_status(publish_id)
        code = int(status.get("publish_status", 1))
        if code == 1:
            continue
        if code == 0:
            items = status.get("article_detail", {}).get("item", [])
            found = {"article_id": str(status.get("article_id", "")),
                     "urls": [str(item.get("article_url", "")) for item in items]}
            _record_published(run, batch_id, account, paths, hashes, media_id, found, publish_id)
            return
        message = _PUBLISH_FAILURES.get(code, f"发表失败(状态 {code})")
        run.record("failed", account.id, batch=batch_id, publish_id=publish_id, publish_status=code,
                   fail_idx=status.get("fail_idx", []))
        run.outcomes.extend(Outcome("failed", p, account.id, message, media_id=media_id) for p in paths)
        return
    run.outcomes.extend(Outcome("failed", p, account.id, "微信仍在处理发表,下次运行时继续查询结果", media_id=media_id)
                        for p in paths)


_PUBLISH_FAILURES = {
    2: "原创声明未通过审核:请核实原创信息,或改为转载(source)后重新发布",
    3: "发表失败(常规失败);请稍后重新运行,仍失败请在公众号后台查看原因",
    4: "被平台审核拒绝:请在公众号后台查看原因,修改后重新发布",
    5: "发表成功后已被用户删除",
    6: "发表成功后被系统封禁:请在公众号后台查看处理通知",
}


def _record_published(run: Run, batch_id: str, account: Account, paths: list[str], hashes: list[str],
                      media_id: str, found: Mapping[str, Any], publish_id: str) -> None:
    urls = list(found.get("urls", []))
    for index, (path, content_hash) in enumerate(zip(paths, hashes), 1):
        url = urls[index - 1] if index - 1 < len(urls) else ""
        run.record("published", account.id, path, content_hash, batch=batch_id, media_id=media_id,
                   approved_by=_approvers(run.ledger, batch_id, index),
                   publish_id=publish_id, article_id=found["article_id"], index=index, url=url)
        run.outcomes.append(Outcome("published", path, account.id, "已发表", media_id=media_id,
                                    article_id=str(found["article_id"]), url=url))


def _approvers(ledger: Ledger, batch_id: str, index: int) -> list[str]:
    """Who approved the index-th article of a batch, as recorded when its draft was started."""
    for entry in ledger.entries:
        if entry.step == "draft_adding" and entry.data.get("batch") == batch_id:
            lists = entry.data.get("approved_by", [])
            return list(lists[index - 1]) if index - 1 < len(lists) else []
    return []


def _media_id(ledger: Ledger, batch_id: str) -> str:
    for entry in reversed(ledger.entries):
        if entry.data.get("batch") == batch_id and entry.data.get("media_id"):
            return str(entry.data["media_id"])
    return ""


def _markers(ledger: Ledger, batch_id: str) -> list[list[str]]:
    for entry in ledger.entries:
        if entry.step == "draft_adding" and entry.data.get("batch") == batch_id:
            return [list(m) for m in entry.data["markers"]]
    return []


def _matches(news_items: list[dict[str, Any]], markers: list[list[str]]) -> bool:
    seen = [[str(item.get("title", "")), str(item.get("thumb_media_id", ""))] for item in news_items]
    return seen == [list(m) for m in markers]


def _find_draft(client: WeChat, markers: list[list[str]]) -> str | None:
    for item in client.drafts():
        if _matches(item.get("content", {}).get("news_item", []), markers):
            return str(item["media_id"])
    return None


def _find_publication(client: WeChat, markers: list[list[str]]) -> dict[str, Any] | None:
    for item in client.published():
        news = item.get("content", {}).get("news_item", [])
        if _matches(news, markers):
            return {"article_id": str(item["article_id"]), "urls": [str(n.get("url", "")) for n in news]}
    return None


def _retract(run: Run, retraction: Retraction) -> None:
    """Remove one publication (R15): always this article's own 1-based index, never 0 (all)."""
    entry = retraction.entry
    account = run.policies.accounts[retraction.account]
    client = run.wechat(account)
    index = int(entry.data.get("index", 0))
    latest = run.ledger.latest(retraction.path)
    tried_before = latest is not None and latest.step == "retracting"
    run.record("retracting", account.id, retraction.path, entry.content_hash, of=entry.step, index=index)
    if entry.step == "published":
        try:
            client.delete_published(str(entry.data["article_id"]), index)
        except WeChatError:
            if not tried_before:
                raise
            # A run died during this very delete: it went through, WeChat no longer has the article
        message = "已从公众号删除"
    elif entry.step == "drafted":
        media_id = str(entry.data.get("media_id", ""))
        if client.get_draft(media_id) is not None:
            client.delete_draft(media_id)
        message = "已从草稿箱删除;若运营人员已在后台发表,请在后台删除"
    else:
        message = "群发消息无法由接口撤回全部读者已收到的内容;请在后台删除该群发"
    run.record("retracted", account.id, retraction.path, entry.content_hash, of=entry.step, index=index)
    run.outcomes.append(Outcome("retracted", retraction.path, account.id, message,
                                article_id=str(entry.data.get("article_id", ""))))


def summarize(outcomes: Iterable[Outcome]) -> dict[str, list[dict[str, str]]]:
    """{"published": [...], "queued": [...], "retracted": [...], "failed": [...]} for --format json."""
    groups: dict[str, list[dict[str, str]]] = {"published": [], "queued": [], "retracted": [], "failed": []}
    for outcome in outcomes:
        key = "published" if outcome.status in FINAL_STEPS else outcome.status
        groups.setdefault(key, []).append(outcome.as_dict())
    return groups

