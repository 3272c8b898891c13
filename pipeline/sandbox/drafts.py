"""The draft box: `draft/add|get|update|delete|count|batchget`.

Limits from WECHAT_API.md (doc "新增草稿" api_draft_add): 1..8 articles; title required,
≤ 32 characters (45003); author ≤ 16 (45110); digest ≤ 128 (45004; empty: WeChat takes
the first ~54 characters of the text); content required (44004), < 20,000 characters
and < 1 MB (45002); thumb_media_id a permanent image of this account (40007);
need_open_comment / only_fans_can_comment 0 or 1. Images not uploaded with uploadimg by
this account, and scripts, are removed from the stored content.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any, Callable, Iterable

from pipeline.sandbox.call import Call, int_arg, page_args, text_arg
from pipeline.sandbox.codes import ApiError
from pipeline.sandbox.content import clean_content, plain_text, url_key
from pipeline.sandbox.store import dumps, loads

MAX_ARTICLES = 8
TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
AUTO_DIGEST = 54
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
PAGE_MAX = 20
PASSED_THROUGH = ("pic_crop_235_1", "pic_crop_1_1", "cover_info", "product_info")


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(47001, f"{name} must be a string")
    return value


def _flag(raw: dict[str, Any], name: str) -> int:
    value = raw.get(name, 0)
    if value in (0, 1) and not isinstance(value, str):
        return int(value)
    raise ApiError(40097, f"{name} must be 0 or 1")


def _material_url(call: Call, media_id: str) -> str:
    """The URL of this account's permanent image `media_id`, or 40007."""
    row = call.db.execute("SELECT url FROM materials WHERE media_id = ? AND appid = ?",
                          (media_id, call.appid)).fetchone()
    if row is None:
        raise ApiError(40007, "thumb_media_id must be a permanent image (material/add_material) of this account")
    return str(row["url"])


def _uploaded_image(call: Call) -> Callable[[str], bool]:
    keys = {url_key(row["url"]) for row in call.db.execute("SELECT url FROM uploads WHERE appid = ?", (call.appid,))}
    return lambda src: url_key(src) in keys


def normalize_article(call: Call, raw: Any) -> dict[str, Any]:
    """One article as WeChat stores it, or the ApiError WeChat answers for it."""
    if not isinstance(raw, dict):
        raise ApiError(47001, "each article must be an object")
    article_type = raw.get("article_type") or "news"
    if article_type not in ("news", "newspic"):
        raise ApiError(40097, "article_type must be news or newspic")
    title, author, digest = _text(raw, "title"), _text(raw, "author"), _text(raw, "digest")
    content = _text(raw, "content")
    if not title:
        raise ApiError(44003, "title missing")
    if len(title) > TITLE_MAX:
        raise ApiError(45003)
    if len(author) > AUTHOR_MAX:
        raise ApiError(45110)
    if len(digest) > DIGEST_MAX:
        raise ApiError(45004)
    if not content:
        raise ApiError(44004)
    if len(content) >= CONTENT_MAX_CHARS or len(content.encode("utf-8")) >= CONTENT_MAX_BYTES:
        raise ApiError(45002)
    article: dict[str, Any] = {
        "article_type": article_type, "title": title, "author": author,
        "content_source_url": _text(raw, "content_source_url"),
        "need_open_comment": _flag(raw, "need_open_comment"),
        "only_fans_can_comment": _flag(raw, "only_fans_can_comment"),
    }
    thumb = _text(raw, "thumb_media_id")
    if article_type == "news" or thumb:
        if not thumb:
            raise ApiError(40007, "thumb_media_id missing")
        article["thumb_media_id"], article["thumb_url"] = thumb, _material_url(call, thumb)
    if article_type == "newspic":
        info = raw.get("image_info")
        images = info.get("image_list") if isinstance(info, dict) else None
        if not isinstance(images, list) or not images:
            raise ApiError(40097, "newspic needs image_info.image_list")
        for item in images:
            _material_url(call, str(item.get("image_media_id", "")) if isinstance(item, dict) else "")
        article["image_info"] = raw["image_info"]
    article["content"], _removed = clean_content(content, _uploaded_image(call))
    article["digest"] = digest or plain_text(article["content"])[:AUTO_DIGEST]
    article.update({key: raw[key] for key in PASSED_THROUGH if key in raw})
    return article


def _articles(call: Call, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(44003, "articles missing")
    if len(raw) > MAX_ARTICLES:
        raise ApiError(45008, f"at most {MAX_ARTICLES} articles")
    return [normalize_article(call, item) for item in raw]


def get_row(call: Call, media_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = call.db.execute("SELECT * FROM drafts WHERE media_id = ? AND appid = ?", (media_id, call.appid)).fetchone()
    if row is None:
        raise ApiError(40007)
    return row


def news_items(articles: Iterable[dict[str, Any]], *, no_content: bool = False) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if not (no_content and k == "content")} for a in articles]


def _with_temp_url(media_id: str, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A draft's "url" is a temporary preview link in WeChat; ours names the draft
    return [{**a, "url": f"http://mp.weixin.qq.com/s?__biz=sandbox&tempkey={media_id}&idx={i}"}
            for i, a in enumerate(articles, 1)]


def add(call: Call) -> dict[str, Any]:
    articles = _articles(call, call.json().get("articles"))
    media_id = secrets.token_urlsafe(32)
    call.db.execute("INSERT INTO drafts (media_id, appid, articles, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (media_id, call.appid, dumps(articles), call.now, call.now))
    return {"media_id": media_id}


def get(call: Call) -> dict[str, Any]:
    media_id = text_arg(call.json(), "media_id", missing=40007)
    row = get_row(call, media_id)
    return {"news_item": news_items(_with_temp_url(media_id, loads(row["articles"]))),
            "create_time": int(row["created_at"]), "update_time": int(row["updated_at"])}


def delete(call: Call) -> dict[str, Any]:
    media_id = text_arg(call.json(), "media_id", missing=40007)
    get_row(call, media_id)
    call.db.execute("DELETE FROM drafts WHERE media_id = ?", (media_id,))
    return {"errcode": 0, "errmsg": "ok"}


def update(call: Call) -> dict[str, Any]:
    """draft/update {media_id, index (0-based), articles: one article object}."""
    data = call.json()
    row = get_row(call, text_arg(data, "media_id", missing=40007))
    articles = loads(row["articles"])
    index = int_arg(data, "index", 0, 0, len(articles) - 1)
    articles[index] = normalize_article(call, data.get("articles"))
    call.db.execute("UPDATE drafts SET articles = ?, updated_at = ? WHERE media_id = ?",
                    (dumps(articles), call.now, row["media_id"]))
    return {"errcode": 0, "errmsg": "ok"}


def count(call: Call) -> dict[str, Any]:
    row = call.db.execute("SELECT COUNT(*) AS n FROM drafts WHERE appid = ?", (call.appid,)).fetchone()
    return {"total_count": int(row["n"])}


def batchget(call: Call) -> dict[str, Any]:
    """draft/batchget {offset, count 1..20, no_content}. WeChat's page (api_draft_batchget)
    documents the offset, the count and total_count (all drafts of the account), and no order.
    The sandbox lists the most recently updated first (draft/add and draft/update put a draft
    on top; a publication or mass send takes it out), the order that shifts a reader by offset
    the most: pipeline/wechat.py `_pages` must see every shift, tests/test_list_paging.py."""
    data = call.json()
    offset, size = page_args(data, PAGE_MAX)
    no_content = bool(int_arg(data, "no_content", 0, 0, 1))
    total = count(call)["total_count"]
    rows = call.db.execute("SELECT * FROM drafts WHERE appid = ? ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?",
                           (call.appid, size, offset)).fetchall()
    items = [{"media_id": r["media_id"], "update_time": int(r["updated_at"]),
              "content": {"news_item": news_items(_with_temp_url(r["media_id"], loads(r["articles"])),
                                                  no_content=no_content),
                          "create_time": int(r["created_at"]), "update_time": int(r["updated_at"])}}
             for r in rows]
    return {"total_count": total, "item_count": len(items), "item": items}


def take(call: Call, media_id: str) -> list[dict[str, Any]]:
    """Remove a draft that is being published or mass-sent, and return its articles
    (WECHAT_API.md: such a draft is removed from the draft box)."""
    row = get_row(call, media_id)
    call.db.execute("DELETE FROM drafts WHERE media_id = ?", (media_id,))
    articles: list[dict[str, Any]] = loads(row["articles"])
    return articles
