"""Do the ledger, WeChat and Git agree? (`wxpub status --verify` and `wxpub backup`, R14, R17.)

Read-only: compares each account's drafts and publications (listed live through the API, or
read from a backup's export) with what the ledger says is out, by media_id, article_id, the
attempt markers wxpub puts on every article (data-wxpub) and the fingerprint of what it sent
(`sending.fingerprint`), and compares the ledger with the articles on the commit. WeChat has
no API that lists mass sends, so those are checked against Git only. Each disagreement
carries a stable code: DRIFT0xx between the ledger and WeChat, VERIFY0xx between the ledger
and Git.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable, Mapping

from pipeline.anchor import TITLE as ANCHOR_TITLE, anchors, is_anchor
from pipeline.content import Article, load_article
from pipeline.messages import LedgerState, Publication
from pipeline.policies import Account, Policies
from pipeline.publish import LastVersion, PublishedVersion, drafts_only, find_moves, gone_publications
from pipeline.records import Step
from pipeline.sending import fingerprint, marker_of
from pipeline.snapshot import Snapshot
from pipeline.wechat import WeChat



@dataclass(frozen=True)
class Disagreement:
    account: str
    path: str  # the article, or "" for something only WeChat holds
    message: str  # Chinese, for the operator
    code: str = ""  # stable: DRIFT0xx (the ledger against WeChat), VERIFY0xx (against Git)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "account": self.account, "path": self.path, "message": self.message}


HAND_PUBLISHED = "DRIFT001"  # out in WeChat, not through wxpub: no ledger record, no marker
DELETED = "DRIFT002"  # the ledger says out, WeChat no longer has it
CHANGED = "DRIFT003"  # WeChat's copy is not what wxpub sent (edited in the back end)
UNRECORDED = "DRIFT004"  # carries a wxpub marker the ledger does not account for
DRAFT_GONE = "DRIFT005"  # the ledger says in the draft box, the draft box does not have it
ANCHOR_AHEAD = "DRIFT006"  # the account's ledger anchor names a commit the ledger does not hold: rewound
ANCHOR_UNREADABLE = "DRIFT007"  # the anchor's commit cannot be read (edited in the back end)
UNLISTED = "VERIFY005"  # a publish or mass account WeChat lists no publications of (48001): not checked


def verify(state: LedgerState, policies: Policies, client: Callable[[Account], WeChat], commit: Snapshot,
           paths_on_commit: Iterable[PurePosixPath], published: PublishedVersion,
           last: LastVersion | None = None, *, holds: Callable[[str], bool],
           also: Iterable[str] = ()) -> list[Disagreement]:
    """Every disagreement found (none: the ledger, WeChat and the commit agree); `commit` is
    the commit's tree, read as the publisher reads it; `published` reads an article as it went
    out (publish.published_versions), `last` a moved folder as it last was (publish.last_versions).
    `holds` is Ledger.contains (whether the ledger holds an anchor's commit); `also` names accounts
    to list even though the ledger has nothing of theirs (a ledger rewound past an account's
    every line still leaves its anchor and markers in WeChat)."""
    found: list[Disagreement] = []
    found += _against_git(state, commit, paths_on_commit, published, last)
    for account_id in sorted(set(ledger_accounts(state)) | set(also)):
        account = policies.accounts.get(account_id)
        if account is None:
            found.append(Disagreement(account_id, "", "发布记录中的账号已不在 policies.yaml 中,无法核对", "VERIFY004"))
            continue
        wechat = client(account)
        drafts = list(wechat.drafts())
        found += _anchors(account_id, drafts, holds)
        listed = wechat.listed_publications()
        if listed is None and not drafts_only(account):  # the publisher refuses such an account's run too
            found.append(Disagreement(account_id, "", f"微信不允许列出该账号的已发表文章(48001),而它的 publish_mode 是 "
                                                      f"{account.publish_mode}:无法核对已发表的文章。若账号已不再认证,"
                                                      "请把 publish_mode 改为 draft;否则稍后重新核对", UNLISTED))
        found += against_wechat(state, account_id, drafts, listed)
    for message in state.messages.values():
        if message.live:
            found.append(Disagreement(message.account, ", ".join(message.paths),
                                      f"消息 {message.batch} 尚未完成(停在 {message.phase});下一次发布运行会接着完成",
                                      "VERIFY003"))
    return found


def ledger_accounts(state: LedgerState) -> list[str]:
    """Every account the ledger has sent anything for."""
    return sorted({p.entry.account for p in state.publications.values()} | {m.account for m in state.messages.values()})


def against_wechat(state: LedgerState, account: str, drafts: list[dict[str, Any]],
                   publications: list[dict[str, Any]] | None) -> list[Disagreement]:
    """Where the ledger and one account's WeChat disagree. `drafts` and `publications` are the
    draft box and the publication list as `draft/batchget` and `freepublish/batchget` give them,
    with content: read live (`status --verify`) or from an export (`wxpub backup`).
    `publications` None: WeChat would not list them (48001), so they are not judged."""
    found = _drafts(state, account, [item for item in drafts if not is_anchor(item)])  # the anchor is no article
    return found if publications is None else found + _publications(state, account, publications)


def _anchors(account: str, drafts: list[dict[str, Any]], holds: Callable[[str], bool]) -> list[Disagreement]:
    """The account's ledger anchors (pipeline/anchor.py) the ledger does not hold: what the
    publisher's rewind guard refuses on. Reported here because its refusal sends operators to
    `status --verify` before they touch the anchor, and deleting it while the ledger is
    rewound would let the next run send again what only the anchor remembers (a mass send)."""
    found = []
    for listed in anchors(drafts):
        if not listed.commit:
            found.append(Disagreement(account, "", f"发布记录锚点(草稿「{ANCHOR_TITLE}」)的内容无法识别(可能在公众号后台"
                                                   "被修改过);其余各项核对一致时,可在后台删除它,下一次发布会重新建立",
                                      ANCHOR_UNREADABLE))
        elif not holds(listed.commit):
            found.append(Disagreement(account, "", f"发布记录锚点(草稿「{ANCHOR_TITLE}」)指向发布记录的提交 "
                                                   f"{listed.commit[:12]},发布记录里却没有它(或它的记录已被删改):"
                                                   "发布记录被改回了旧版本。不要删除锚点;从仍有完整记录的克隆推回 "
                                                   "refs/wxpub/ledger", ANCHOR_AHEAD))
    return found


def _against_git(state: LedgerState, commit: Snapshot, paths_on_commit: Iterable[PurePosixPath],
                 published: PublishedVersion, last: LastVersion | None) -> list[Disagreement]:
    on_commit = {str(p) for p in paths_on_commit}
    gone = gone_publications(state, on_commit)
    unpublished = (load_article(commit, PurePosixPath(path)) for path in sorted(on_commit - set(state.publications)))
    # what the publisher counts as moved, not as deleted (publish.find_moves)
    moves = find_moves(gone, (a for a in unpublished if isinstance(a, Article)), published, state.moves,
                       last) if gone else {}
    found = []
    for path, publication in state.publications.items():
        if path in moves:
            continue  # the same article in its new folder: WeChat keeps it as it is
        if path not in on_commit:
            found.append(Disagreement(publication.entry.account, path, "文章已从仓库删除,但仍在发布记录中(待撤回)",
                                      "VERIFY001"))
            continue
        article = load_article(commit, PurePosixPath(path))
        if isinstance(article, Article) and article.front_matter.get("retracted") is True:
            found.append(Disagreement(publication.entry.account, path, "文章已标记 retracted: true,但尚未撤回",
                                      "VERIFY002"))
    return found


def _marked(news: list[dict[str, Any]]) -> bool:
    return any(marker_of(str(item.get("content", ""))) for item in news)


def _changed(publication: Publication, item: Mapping[str, Any], where: str) -> list[Disagreement]:
    """DRIFT003 when WeChat's copy of a publication is not what wxpub sent (judged only where
    the ledger recorded what was sent, and WeChat's answer holds the content)."""
    if not publication.fingerprint or "content" not in item:
        return []
    if fingerprint(str(item.get("title", "")), str(item["content"])) == publication.fingerprint:
        return []
    return [Disagreement(publication.entry.account, publication.path,
                         f"{where}的「{item.get('title', '')}」与 wxpub 发出的内容不同(标题、正文文字或图片被改过,"
                         "可能是有人在公众号后台编辑了它);请核对:改动应回到仓库里经审批修改,"
                         "或在后台恢复为仓库中的版本", CHANGED)]


def _drafts(state: LedgerState, account: str, drafts: list[dict[str, Any]]) -> list[Disagreement]:
    found = []
    by_media = {str(item["media_id"]): item.get("content", {}).get("news_item", []) for item in drafts}
    expected: dict[str, list[str]] = {}
    for path, publication in state.publications.items():
        if publication.entry.account == account and publication.entry.step == Step.DRAFTED:
            expected.setdefault(publication.media_id, []).append(path)
            news = by_media.get(publication.media_id)
            if news is None:
                found.append(Disagreement(account, path, "发布记录说在草稿箱中,但微信草稿箱里没有这篇草稿"
                                                          "(可能已由运营人员在后台发表或删除)", DRAFT_GONE))
            elif publication.index > len(news):
                found.append(Disagreement(account, path, f"草稿中没有第 {publication.index} 篇", DRAFT_GONE))
            else:
                found += _changed(publication, news[publication.index - 1], "草稿箱中")
    in_flight = {m.media_id for m in state.messages.values() if m.live and m.media_id}
    for media_id, news in by_media.items():
        if media_id in expected or media_id in in_flight or not _marked(news):
            continue
        titles = "、".join(str(n.get("title", "")) for n in news)
        found.append(Disagreement(account, "", f"草稿箱中有一篇 wxpub 发出、发布记录里没有的草稿({titles});"
                                               "是重复或遗留的草稿", UNRECORDED))
    return found


def _adoption(state: LedgerState, account: str) -> float | None:
    """When wxpub began publishing for the account (its first message), as a Unix time; None
    when it never has. What the account published before is its history, not drift."""
    moments = [m.started.moment for m in state.messages.values() if m.account == account]
    moments += [e.moment for e in state.loose if e.account == account]
    return min(moments).timestamp() if moments else None


def _after_adoption(update_time: object, adopted: float | None) -> bool:
    """Whether a publication WeChat last changed at `update_time` went out (or was changed)
    once wxpub published for the account; a time WeChat did not give counts as after."""
    if adopted is None:
        return False
    return not isinstance(update_time, (int, float)) or isinstance(update_time, bool) or update_time >= adopted


def _publications(state: LedgerState, account: str, items: list[dict[str, Any]]) -> list[Disagreement]:
    found = []
    by_article = {str(item["article_id"]): item.get("content", {}).get("news_item", []) for item in items}
    updated = {str(item["article_id"]): item.get("update_time") for item in items}
    adopted = _adoption(state, account)
    # Every version wxpub ever published counts as known (an earlier version stays up after a republish)
    known = {(str(e.data.get("article_id", "")), int(e.data.get("index", 0)))
             for m in state.messages.values() for e in m.finals.values() if e.step == Step.PUBLISHED}
    known |= {(str(e.data.get("article_id", "")), int(e.data.get("index", 0))) for e in state.loose}
    current: dict[tuple[str, int], Publication] = {}
    # A draft-mode article an operator published from the draft box, found by its marker
    drafted = {p.marker: p for p in state.publications.values()
               if p.marker and p.entry.account == account and p.entry.step == Step.DRAFTED}
    for path, publication in state.publications.items():
        if publication.entry.account != account or publication.entry.step != Step.PUBLISHED:
            continue
        article_id = str(publication.entry.data.get("article_id", ""))
        known.add((article_id, publication.index))
        current[(article_id, publication.index)] = publication
        news = by_article.get(article_id)
        if news is None or publication.index > len(news):
            found.append(Disagreement(account, path, "发布记录说已发表,但微信的已发表列表里没有它(可能已在后台删除)",
                                      DELETED))
        elif news[publication.index - 1].get("is_deleted"):
            found.append(Disagreement(account, path, "发布记录说已发表,但它在微信中已被删除(可能由运营人员在后台删除)",
                                      DELETED))
    for article_id, news in by_article.items():
        for index, item in enumerate(news, 1):
            if item.get("is_deleted"):
                continue
            mark = marker_of(str(item.get("content", ""))) if "content" in item else None
            out = current.get((article_id, index)) or drafted.get(mark or "")
            if out is not None:
                found += _changed(out, item, "已发表文章中")
                continue
            if (article_id, index) in known:
                continue  # an earlier version of an article wxpub published, still up
            if mark is None and _after_adoption(updated.get(article_id), adopted):
                found.append(Disagreement(account, "", f"微信中有一篇发布记录里没有的已发表文章「{item.get('title', '')}」"
                                                       "(article_id " + article_id + f",第 {index} 篇):它不是经 wxpub "
                                                       "发出的,没有经过分级审批;请核实来源,需要保留的请把文章补进仓库"
                                                       "并走审批,否则在公众号后台删除", HAND_PUBLISHED))
            elif mark is not None:
                found.append(Disagreement(account, "", f"微信中有一篇 wxpub 发出、发布记录里没有的已发表文章"
                                                       f"「{item.get('title', '')}」;是重复发表的文章", UNRECORDED))
    return found
