"""Do the ledger, WeChat and Git agree? (`wxpub status --verify`, R14, R17.)

Read-only: lists each account's drafts and publications through the API and compares them
with what the ledger says is out, by media_id, article_id and the attempt markers wxpub puts
on every article (data-wxpub), and compares the ledger with the articles on the commit.
WeChat has no API that lists mass sends, so those are checked against Git only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

from pipeline.content import Article, load_article
from pipeline.messages import LedgerState
from pipeline.policies import Account, Policies
from pipeline.publish import PublishedVersion, find_moves, gone_publications
from pipeline.records import Step
from pipeline.sending import marker_of
from pipeline.snapshot import Snapshot
from pipeline.wechat import WeChat



@dataclass(frozen=True)
class Disagreement:
    account: str
    path: str  # the article, or "" for something only WeChat holds
    message: str  # Chinese, for the operator


def verify(state: LedgerState, policies: Policies, client: Callable[[Account], WeChat], commit: Snapshot,
           paths_on_commit: Iterable[PurePosixPath], published: PublishedVersion) -> list[Disagreement]:
    """Every disagreement found (none: the ledger, WeChat and the commit agree); `commit` is
    the commit's tree, read as the publisher reads it; `published` reads an article as it went
    out (publish.published_versions)."""
    found: list[Disagreement] = []
    found += _against_git(state, commit, paths_on_commit, published)
    accounts = sorted({p.entry.account for p in state.publications.values()} |
                      {m.account for m in state.messages.values()})
    for account_id in accounts:
        account = policies.accounts.get(account_id)
        if account is None:
            found.append(Disagreement(account_id, "", "发布记录中的账号已不在 policies.yaml 中,无法核对"))
            continue
        wechat = client(account)
        found += _drafts(state, account_id, list(wechat.drafts()))
        found += _publications(state, account_id, list(wechat.published()))
    for message in state.messages.values():
        if message.live:
            found.append(Disagreement(message.account, ", ".join(message.paths),
                                      f"消息 {message.batch} 尚未完成(停在 {message.phase});下一次发布运行会接着完成"))
    return found


def _against_git(state: LedgerState, commit: Snapshot, paths_on_commit: Iterable[PurePosixPath],
                 published: PublishedVersion) -> list[Disagreement]:
    on_commit = {str(p) for p in paths_on_commit}
    gone = gone_publications(state, on_commit)
    unpublished = (load_article(commit, PurePosixPath(path)) for path in sorted(on_commit - set(state.publications)))
    # what the publisher counts as moved, not as deleted (publish.find_moves)
    moves = find_moves(gone, (a for a in unpublished if isinstance(a, Article)), published, state.moves) if gone else {}
    found = []
    for path, publication in state.publications.items():
        if path in moves:
            continue  # the same article in its new folder: WeChat keeps it as it is
        if path not in on_commit:
            found.append(Disagreement(publication.entry.account, path, "文章已从仓库删除,但仍在发布记录中(待撤回)"))
            continue
        article = load_article(commit, PurePosixPath(path))
        if isinstance(article, Article) and article.front_matter.get("retracted") is True:
            found.append(Disagreement(publication.entry.account, path, "文章已标记 retracted: true,但尚未撤回"))
    return found


def _marked(news: list[dict[str, Any]]) -> bool:
    return any(marker_of(str(item.get("content", ""))) for item in news)


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
                                                          "(可能已由运营人员在后台发表或删除)"))
            elif publication.index > len(news):
                found.append(Disagreement(account, path, f"草稿中没有第 {publication.index} 篇"))
    in_flight = {m.media_id for m in state.messages.values() if m.live and m.media_id}
    for media_id, news in by_media.items():
        if media_id in expected or media_id in in_flight or not _marked(news):
            continue
        titles = "、".join(str(n.get("title", "")) for n in news)
        found.append(Disagreement(account, "", f"草稿箱中有一篇 wxpub 发出、发布记录里没有的草稿({titles});"
                                               "是重复或遗留的草稿"))
    return found


def _publications(state: LedgerState, account: str, items: list[dict[str, Any]]) -> list[Disagreement]:
    found = []
    by_article = {str(item["article_id"]): item.get("content", {}).get("news_item", []) for item in items}
    # Every version wxpub ever published counts as known (an earlier version stays up after a republish)
    known = {(str(e.data.get("article_id", "")), int(e.data.get("index", 0)))
             for m in state.messages.values() for e in m.finals.values() if e.step == Step.PUBLISHED}
    known |= {(str(e.data.get("article_id", "")), int(e.data.get("index", 0))) for e in state.loose}
    for path, publication in state.publications.items():
        if publication.entry.account != account or publication.entry.step != Step.PUBLISHED:
            continue
        article_id = str(publication.entry.data.get("article_id", ""))
        known.add((article_id, publication.index))
        news = by_article.get(article_id)
        if news is None or publication.index > len(news):
            found.append(Disagreement(account, path, "发布记录说已发表,但微信的已发表列表里没有它(可能已在后台删除)"))
        elif news[publication.index - 1].get("is_deleted"):
            found.append(Disagreement(account, path, "发布记录说已发表,但它在微信中已被删除(可能由运营人员在后台删除)"))
    for article_id, news in by_article.items():
        for index, item in enumerate(news, 1):
            if (article_id, index) in known or item.get("is_deleted") or not marker_of(str(item.get("content", ""))):
                continue
            found.append(Disagreement(account, "", f"微信中有一篇 wxpub 发出、发布记录里没有的已发表文章"
                                                   f"「{item.get('title', '')}」;是重复发表的文章"))
    return found
