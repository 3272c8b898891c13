"""The ledger anchor: a witness of the ledger kept in WeChat, where a rewind cannot reach it.

`refs/wxpub/ledger` can be rewound by anyone who can push to the repository (no ruleset covers
`refs/wxpub/*`) or by restoring an old backup. Markers (`data-wxpub`) on drafts and
publications show most of what such a ledger lost, but two kinds of lines leave nothing WeChat
lists: a mass send (`message/mass/sendall` takes the draft, and no API lists sends) and a
`moved` line (a move sends nothing). So each sending account keeps ONE draft of its own, the
anchor, whose only article's first element carries `data-wxpub-anchor="<ledger commit>"`.

The rule (publish.anchor_ledger): before `freepublish/submit` or `message/mass/sendall`, and
after a `moved` line is written, the account's anchor names a ledger commit holding the line
that guards it (the `submitting` / `mass_sending` intent, the `moved` line), written as a new
draft (`put`) only after that commit is pushed (with `--push`) or committed. Before its first
call that could send, a run reads the anchor (publish.refuse_rewound_ledger) and refuses while
the ledger does not hold its commit (Ledger.contains: in the history, every line of it kept
in order). Changing the draft takes the account's credentials, which a person who can only
push to the repository does not have.

A draft left in the draft box needs no anchor: the rewind guard lists the whole draft box. Two
runners racing may each leave an anchor: both name commits of the shared history, never a
false refusal, and the next run keeps the newest.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from PIL import Image

from pipeline.sending import ANCHOR_MARKER, find_material, marker_of
from pipeline.wechat import WeChat, WeChatError

TITLE = "wxpub 发布记录锚点(请勿发表或删除)"  # WeChat takes titles of up to 32 characters
THUMB_NAME = "wxpub-ledger-anchor.png"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
# ASCII only, and short: str.isdigit takes '²' and '፩', which int() refuses, and int() refuses
# more than 4300 digits; anyone holding the account's credentials can write the attribute
_COUNT = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Anchor:
    """An account's anchor draft as WeChat lists it."""

    media_id: str
    commit: str  # the ledger commit it names; "" when the attribute is not a commit name
    thumb_media_id: str
    lines: int = 0  # how many ledger lines that commit holds (for people reading the draft)


def anchor_of(item: Mapping[str, Any]) -> Anchor | None:
    """The anchor a listed draft (or publication) is, or None when it is something else."""
    news = item.get("content", {}).get("news_item", [])
    if not news:
        return None
    value = marker_of(str(news[0].get("content", "")), ANCHOR_MARKER)
    if value is None:
        return None
    commit, _, lines = value.partition(".")
    return Anchor(str(item.get("media_id", "")), commit if _COMMIT.fullmatch(commit) else "",
                  str(news[0].get("thumb_media_id", "")), int(lines) if _COUNT.fullmatch(lines) else 0)


def is_anchor(item: Mapping[str, Any]) -> bool:
    """Whether a listed draft is the anchor: not an article, never an attempt or a drift."""
    return anchor_of(item) is not None


def is_anchor_listing(item: Mapping[str, Any]) -> bool:
    """Whether a draft listed without its HTML (draft/batchget no_content) is the anchor, told by
    its one article's title: what `wxpub backup` leaves out without fetching it. An operator's
    own draft titled so is taken for it (and not exported)."""
    news = item.get("content", {}).get("news_item", [])
    return len(news) == 1 and news[0].get("title") == TITLE


def anchors(drafts: Iterable[Mapping[str, Any]]) -> list[Anchor]:
    return [found for item in drafts if (found := anchor_of(item)) is not None]


def article(commit: str, lines: int, thumb_media_id: str) -> dict[str, Any]:
    """The anchor draft's one article: says, in Chinese, what it is and not to touch it."""
    body = (f'<section {ANCHOR_MARKER}="{commit}.{lines}">'
            "<p>这是 wxpub 自动维护的草稿,记录本账号发布记录(refs/wxpub/ledger)最近一次确认的提交,"
            "用来发现被改回旧版本的发布记录,防止文章被重复发送。</p>"
            "<p>请不要发表、修改或删除这篇草稿。误删后,下一次发布会重新建立它,但在那之前的改回无法被发现。</p>"
            f"<p>提交:{commit};记录条数:{lines}</p></section>")
    return {"article_type": "news", "title": TITLE, "author": "wxpub", "digest": "wxpub 发布记录锚点,请勿发表或删除",
            "content": body, "content_source_url": "", "thumb_media_id": thumb_media_id,
            "need_open_comment": 0, "only_fans_can_comment": 0}


def thumb_image() -> bytes:
    """A small generated cover (a news draft needs a permanent thumb_media_id): uploaded once per
    account, then the anchor's own thumb is reused on every update."""
    picture = Image.new("RGB", (235, 100), (96, 96, 96))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def put(client: WeChat, current: Anchor | None, commit: str, lines: int) -> Anchor:
    """Make the account's anchor name `commit`: a new draft, then `current` (which `commit`
    holds: the one this run kept or wrote) deleted. Never draft/update: WeChat has no
    compare-and-swap, so a slower runner's update would land over a faster one's newer anchor
    and its send would lose its witness. Added, racing runners' anchors stand side by side until
    a run keeps the newest (publish.kept_anchor); each one the ledger must hold."""
    thumb = current.thumb_media_id if current is not None and current.thumb_media_id else ""
    try:
        media_id = client.add_draft([article(commit, lines, thumb)]) if thumb else ""
    except WeChatError as error:
        if error.errcode != 40007:  # 40007: the thumb was deleted by hand since the listing
            raise
        media_id = ""
    if not media_id:
        # Found again by its name, as covers are (sending.find_material): uploaded once per
        # account, even when a run died after the upload or an operator deleted the anchor
        found = find_material(client, THUMB_NAME)
        thumb = found[0] if found is not None else client.upload_cover(thumb_image(), THUMB_NAME)[0]
        media_id = client.add_draft([article(commit, lines, thumb)])
    if current is not None:
        client.delete_draft_if_present(current.media_id)
    return Anchor(media_id, commit, thumb, lines)
