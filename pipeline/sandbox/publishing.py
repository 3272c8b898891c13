"""Publishing ("发布能力"): `freepublish/submit|get|batchget|getarticle|delete`.

WECHAT_API.md: submit is asynchronous and answers {publish_id, msg_data_id}; the draft
leaves the draft box. get answers publish_status 1 (publishing) until the job ends, then 0
with article_id and article_detail.item[].article_url, or 2–6 with fail_idx; it has a
daily quota (about 100, then 45009). delete's index is 1-based; 0 or absent deletes every
article of the publication. Unverified accounts get 48001 on all of it (since July 2025).
How long a job stays at 1 is per account: `publish_delay_polls` queries and
`publish_delay_seconds` of sandbox time, so tests never wait on a wall clock.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
from typing import Any

from pipeline.sandbox import drafts
from pipeline.sandbox.call import Call, int_arg, page_args, text_arg
from pipeline.sandbox.codes import ApiError
from pipeline.sandbox.store import day_of, dumps, loads

SUCCESS, PUBLISHING, DELETED = 0, 1, 5
FAILED = (2, 3, 4)  # original-content check, ordinary failure, platform review
ID_BASE = 2_247_483_647  # publish_id and msg_data_id look like WeChat's ten-digit numbers


def article_url(appid: str, msg_data_id: int, idx: int) -> str:
    """A fake permanent article link in the long shape WeChat's API answers carry: `mid` is the
    message's msg_data_id and `idx` the article's 1-based place in it, the key the datacube
    statistics use ("<msg_data_id>_<idx>"); `sn` tells links apart."""
    biz = base64.b64encode(appid.encode()).decode()
    return f"http://mp.weixin.qq.com/s?__biz={biz}&mid={msg_data_id}&idx={idx}&sn={secrets.token_hex(16)}#rd"


def require_verified(call: Call) -> None:
    if not call.acct.verified:
        raise ApiError(48001, "unverified accounts cannot publish or mass-send through the API; save drafts")


def submit(call: Call) -> dict[str, Any]:
    require_verified(call)
    media_id = text_arg(call.json(), "media_id", missing=40007)
    articles = drafts.take(call, media_id)
    publish_id = str(ID_BASE + call.store.next_number(call.db, "publish"))
    msg_data_id = ID_BASE + call.store.next_number(call.db, "msg_data")
    fault = call.db.execute("SELECT id, status, fail_idx FROM publish_faults ORDER BY id LIMIT 1").fetchone()
    forced = dumps({"status": fault["status"], "fail_idx": loads(fault["fail_idx"])}) if fault else None
    if fault:
        call.db.execute("DELETE FROM publish_faults WHERE id = ?", (fault["id"],))
    call.db.execute(
        "INSERT INTO publications (publish_id, appid, msg_data_id, draft_media_id, articles, status, polls, forced, "
        "fail_idx, submitted_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, '[]', ?)",
        (publish_id, call.appid, msg_data_id, media_id, dumps(articles), PUBLISHING, forced, call.now))
    return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id}


def _publication(call: Call, column: str, value: str, errcode: int) -> sqlite3.Row:
    row: sqlite3.Row | None = call.db.execute(f"SELECT * FROM publications WHERE {column} = ? AND appid = ?",  # noqa: S608 - constant
                          (value, call.appid)).fetchone()
    if row is None:
        raise ApiError(errcode, f"{column} not found")
    return row


def _finish(call: Call, row: sqlite3.Row) -> None:
    """End a publishing job: success, or the outcome a publish_fail fault asked for."""
    forced = loads(row["forced"]) or {}
    status = int(forced.get("status", SUCCESS))
    articles = loads(row["articles"])
    article_id = None
    if status not in FAILED:
        article_id = secrets.token_urlsafe(32)
        for idx, article in enumerate(articles, 1):
            article.update(url=article_url(row["appid"], int(row["msg_data_id"]), idx), is_deleted=status != SUCCESS)
    call.db.execute("UPDATE publications SET status = ?, article_id = ?, articles = ?, fail_idx = ?, finished_at = ? "
                    "WHERE publish_id = ?",
                    (status, article_id, dumps(articles), dumps(forced.get("fail_idx", [])), call.now,
                     row["publish_id"]))


def status_body(row: sqlite3.Row) -> dict[str, Any]:
    body: dict[str, Any] = {"publish_id": row["publish_id"], "publish_status": row["status"],
                            "fail_idx": loads(row["fail_idx"])}
    if row["status"] == SUCCESS:
        articles = loads(row["articles"])
        body["article_id"] = row["article_id"]
        body["article_detail"] = {"count": len(articles), "item": [
            {"idx": i, "article_url": a["url"]} for i, a in enumerate(articles, 1)]}
    return body


def get(call: Call) -> dict[str, Any]:
    require_verified(call)
    today = day_of(call.now)
    if call.store.quota_used(call.db, call.appid, "freepublish/get", today) >= call.acct.publish_get_quota:
        raise ApiError(45009, "freepublish/get daily quota used up")
    call.store.use_quota(call.db, call.appid, "freepublish/get", today)
    row = _publication(call, "publish_id", text_arg(call.json(), "publish_id"), 40097)
    polls = int(row["polls"]) + 1
    call.db.execute("UPDATE publications SET polls = ? WHERE publish_id = ?", (polls, row["publish_id"]))
    waited = call.now - float(row["submitted_at"])
    if (row["status"] == PUBLISHING and polls > call.acct.publish_delay_polls
            and waited >= call.acct.publish_delay_seconds):
        _finish(call, row)
    return status_body(_publication(call, "publish_id", row["publish_id"], 40097))


def edited_at(db: sqlite3.Connection, article_id: str) -> float | None:
    """When a person last edited the publication in the back end (sandbox/backend.py), if ever."""
    row = db.execute("SELECT edited_at FROM published_edits WHERE article_id = ?", (article_id,)).fetchone()
    return float(row["edited_at"]) if row else None


def published_items(articles: list[dict[str, Any]], no_content: bool = False) -> list[dict[str, Any]]:
    return drafts.news_items(articles, no_content=no_content)


def batchget(call: Call) -> dict[str, Any]:
    """freepublish/batchget {offset, count 1..20, no_content}: successful publications, total_count
    counting them all (api_freepublish_batchget; no order documented). Newest first, as each
    finished: a publication finishing between two pages of a read is added at the top."""
    require_verified(call)
    data = call.json()
    offset, size = page_args(data, drafts.PAGE_MAX)
    no_content = bool(int_arg(data, "no_content", 0, 0, 1))
    # WeChat finishes a publication on its own schedule, polled or not: one whose time has
    # come is listed (a publisher that died after submit finds it here, without a publish_id)
    for row in call.db.execute("SELECT * FROM publications WHERE appid = ? AND status = ?",
                               (call.appid, PUBLISHING)).fetchall():
        if call.now - float(row["submitted_at"]) >= call.acct.publish_delay_seconds:
            _finish(call, row)
    where = "FROM publications WHERE appid = ? AND status = ?"
    total = call.db.execute(f"SELECT COUNT(*) AS n {where}", (call.appid, SUCCESS)).fetchone()["n"]  # noqa: S608
    rows = call.db.execute(f"SELECT * {where} ORDER BY finished_at DESC, rowid DESC LIMIT ? OFFSET ?",  # noqa: S608
                           (call.appid, SUCCESS, size, offset)).fetchall()
    items = []
    for r in rows:
        updated = int(edited_at(call.db, r["article_id"]) or r["finished_at"])
        items.append({"article_id": r["article_id"], "update_time": updated,
                      "content": {"news_item": published_items(loads(r["articles"]), no_content),
                                  "create_time": int(r["submitted_at"]), "update_time": updated}})
    return {"total_count": int(total), "item_count": len(items), "item": items}


def getarticle(call: Call) -> dict[str, Any]:
    require_verified(call)
    row = _publication(call, "article_id", text_arg(call.json(), "article_id", missing=53600), 53600)
    return {"news_item": published_items(loads(row["articles"]))}


def delete(call: Call) -> dict[str, Any]:
    """Irreversible: index N (1-based) deletes one article, 0 or absent deletes them all."""
    require_verified(call)
    data = call.json()
    row = _publication(call, "article_id", text_arg(data, "article_id", missing=53600), 53600)
    articles = loads(row["articles"])
    index = int_arg(data, "index", 0, 0, len(articles))
    for number, article in enumerate(articles, 1):
        if index in (0, number):
            article["is_deleted"] = True
    status = DELETED if all(a["is_deleted"] for a in articles) else row["status"]
    call.db.execute("UPDATE publications SET articles = ?, status = ? WHERE publish_id = ?",
                    (dumps(articles), status, row["publish_id"]))
    return {"errcode": 0, "errmsg": "ok"}
