"""Mass sending (群发): `message/mass/sendall|get|delete|preview`.

WECHAT_API.md and WeChat's mass-send page: `clientmsgid` (≤ 64 chars, else 45067) makes
sendall idempotent for 24 h: the same id answers 45065 "clientmsgid exist" with the first
msg_id and sends nothing; without one WeChat uses a digest of the audience and content.
Quota: subscription accounts 1 send a day, service accounts 4 a calendar month, then
45028. The draft is removed once sent. The API is for verified accounts ("认证后均可用").

Preview ("预览接口", api_preview): one receiver, by `touser` (an openid of this account) or
`towxname` (a WeChat ID), one or the other; about 100 a day per account, then 45009. It reaches
only a follower: an openid the account does not know is 40003, a WeChat ID nobody has is
40132, someone who does not (or no longer) follow(s) is 43004. The media_id must be a draft of
this account (40007). A preview sends nothing to followers and leaves the draft where it is.
WeChat documents no snapshot and no lifetime for the message: the sandbox records the media_id
only, and the message shows the draft as it is when opened (state's `previews[].shows`: the
draft's current articles, None once it is deleted, published or sent).
Who follows and the daily limit are set through /sandbox/followers (set_audience).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any, Mapping

from pipeline.sandbox import drafts
from pipeline.sandbox.call import Call, int_arg, text_arg
from pipeline.sandbox.codes import AdminError, ApiError
from pipeline.sandbox.publishing import ID_BASE, article_url, require_verified
from pipeline.sandbox.store import Store, day_of, dumps, loads, month_of

CLIENTMSGID_MAX = 64
IDEMPOTENT_SECONDS = 24 * 3600
PREVIEW_PER_DAY = 100
MSG_ID_BASE = 1_000_000_000


def _audience(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError(40097, "filter missing")
    if raw.get("is_to_all") is True:
        return {"is_to_all": True}
    tag = raw.get("tag_id")
    if isinstance(tag, bool) or not isinstance(tag, (int, str)) or not str(tag).isdigit():
        raise ApiError(40097, "filter needs is_to_all: true or a tag_id")
    return {"is_to_all": False, "tag_id": int(tag)}


def _news_media_id(data: dict[str, Any]) -> str:
    if data.get("msgtype") != "mpnews":
        raise ApiError(40008, "the sandbox sends mpnews only")
    mpnews = data.get("mpnews")
    return text_arg(mpnews if isinstance(mpnews, dict) else {}, "media_id", missing=40007)


def _check_quota(call: Call) -> None:
    if call.acct.type == "subscription":
        period, limit, sql = day_of(call.now), 1, "strftime('%Y-%m-%d', sent_at + 8 * 3600, 'unixepoch')"
    else:
        period, limit, sql = month_of(call.now), 4, "strftime('%Y-%m', sent_at + 8 * 3600, 'unixepoch')"
    used = call.db.execute(f"SELECT COUNT(*) AS n FROM mass_sends WHERE appid = ? AND {sql} = ?",  # noqa: S608
                           (call.appid, period)).fetchone()["n"]
    if used >= limit:
        raise ApiError(45028)


def sendall(call: Call) -> dict[str, Any]:
    require_verified(call)
    data = call.json()
    audience = _audience(data.get("filter"))
    media_id = _news_media_id(data)
    clientmsgid = str(data.get("clientmsgid") or
                      hashlib.sha256(dumps([audience, data.get("msgtype"), media_id]).encode()).hexdigest()[:32])
    if len(clientmsgid) > CLIENTMSGID_MAX:
        raise ApiError(45067)
    first = call.db.execute("SELECT msg_id FROM mass_sends WHERE appid = ? AND clientmsgid = ? AND sent_at > ? "
                            "ORDER BY sent_at LIMIT 1",
                            (call.appid, clientmsgid, call.now - IDEMPOTENT_SECONDS)).fetchone()
    if first is not None:
        raise ApiError(45065, msg_id=int(first["msg_id"]))
    articles = drafts.take(call, media_id)
    _check_quota(call)
    msg_id = MSG_ID_BASE + call.store.next_number(call.db, "mass")
    msg_data_id = ID_BASE + call.store.next_number(call.db, "msg_data")
    for idx, article in enumerate(articles, 1):
        article.update(url=article_url(call.appid, msg_data_id, idx), is_deleted=False)
    call.db.execute("INSERT INTO mass_sends (msg_id, appid, msg_data_id, clientmsgid, filter, draft_media_id, articles, "
                    "status, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'SEND_SUCCESS', ?)",
                    (msg_id, call.appid, msg_data_id, clientmsgid, dumps(audience), media_id, dumps(articles),
                     call.now))
    return {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id, "msg_data_id": msg_data_id}


def _send(call: Call, data: dict[str, Any]) -> sqlite3.Row:
    msg_id = int_arg(data, "msg_id", 0, 1, 2**63)
    row: sqlite3.Row | None = call.db.execute("SELECT * FROM mass_sends WHERE msg_id = ? AND appid = ?", (msg_id, call.appid)).fetchone()
    if row is None:
        raise ApiError(40097, "msg_id not found")
    return row


def get(call: Call) -> dict[str, Any]:
    row = _send(call, call.json())
    return {"msg_id": row["msg_id"], "msg_status": row["status"]}


def delete(call: Call) -> dict[str, Any]:
    """article_idx N (1-based) deletes one article; 0 or absent deletes the whole send."""
    data = call.json()
    row = _send(call, data)
    articles = loads(row["articles"])
    index = int_arg(data, "article_idx", 0, 0, len(articles))
    for number, article in enumerate(articles, 1):
        if index in (0, number):
            article["is_deleted"] = True
    status = "DELETE" if all(a["is_deleted"] for a in articles) else row["status"]
    call.db.execute("UPDATE mass_sends SET articles = ?, status = ? WHERE msg_id = ?",
                    (dumps(articles), status, row["msg_id"]))
    return {"errcode": 0, "errmsg": "ok"}


def preview(call: Call) -> dict[str, Any]:
    """Sends a draft to one follower (touser: openid, or towxname), within the daily limit."""
    require_verified(call)
    data = call.json()
    if "touser" in data and "towxname" in data:
        raise ApiError(40097, "touser and towxname: give one of them")
    if "touser" not in data and "towxname" not in data:
        raise ApiError(40097, "touser or towxname missing")
    media_id = _news_media_id(data)
    drafts.get_row(call, media_id)
    openid = _receiver(call, data)
    today = day_of(call.now)
    if call.store.quota_used(call.db, call.appid, "message/mass/preview", today) >= _per_day(call.store, call.db, call.appid):
        raise ApiError(45009, "preview daily quota used up")
    call.store.use_quota(call.db, call.appid, "message/mass/preview", today)
    msg_id = MSG_ID_BASE + call.store.next_number(call.db, "mass")
    call.db.execute("INSERT INTO previews (msg_id, appid, touser, media_id, sent_at) VALUES (?, ?, ?, ?, ?)",
                    (msg_id, call.appid, openid, media_id, call.now))
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def _receiver(call: Call, data: dict[str, Any]) -> str:
    """The openid of the follower a preview is for, or the error WeChat answers."""
    followers = _followers(call.store, call.db, call.appid)
    if "touser" in data:
        openid = data["touser"]
        if not isinstance(openid, str) or not openid:
            raise ApiError(40003)
        found = next((f for f in followers if f["openid"] == openid), None)
        if found is None:
            raise ApiError(40003)
    else:
        wxname = data["towxname"]
        if not isinstance(wxname, str) or not wxname:
            raise ApiError(40132)
        found = next((f for f in followers if f.get("wxname") == wxname), None)
        if found is None:
            raise ApiError(40132)
    if not found.get("subscribed", True):
        raise ApiError(43004)
    return str(found["openid"])


def _followers(store: Store, db: sqlite3.Connection, appid: str) -> list[dict[str, Any]]:
    followers: list[dict[str, Any]] = json.loads(store.meta(db, f"followers:{appid}", "[]"))
    return followers


def _per_day(store: Store, db: sqlite3.Connection, appid: str) -> int:
    return int(store.meta(db, f"preview_per_day:{appid}", str(PREVIEW_PER_DAY)))


def set_audience(store: Store, spec: Mapping[str, Any]) -> dict[str, Any]:
    """/sandbox/followers {"appid", "followers"?: [{"openid", "wxname"?, "subscribed"?}],
    "preview_per_day"?}: replaces the account's followers and/or its daily preview limit."""
    appid = spec.get("appid")
    if not isinstance(appid, str) or not appid:
        raise AdminError("appid is required")
    unknown = sorted(set(spec) - {"appid", "followers", "preview_per_day"})
    if unknown:
        raise AdminError(f"unknown fields: {', '.join(unknown)}")
    with store.transaction() as db:
        if store.account(db, appid) is None:
            raise AdminError(f"no account {appid}")
        if "followers" in spec:
            store.set_meta(db, f"followers:{appid}", json.dumps(_checked_followers(spec["followers"])))
        if "preview_per_day" in spec:
            limit = spec["preview_per_day"]
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise AdminError("preview_per_day must be an integer ≥ 0")
            store.set_meta(db, f"preview_per_day:{appid}", str(limit))
        return {"followers": _followers(store, db, appid), "preview_per_day": _per_day(store, db, appid)}


def _checked_followers(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise AdminError("followers must be a list")
    followers = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("openid"), str) or not item["openid"]:
            raise AdminError("each follower needs an openid")
        if set(item) - {"openid", "wxname", "subscribed"}:
            raise AdminError("a follower has openid, wxname and subscribed only")
        if "wxname" in item and not isinstance(item["wxname"], str):
            raise AdminError("wxname must be a string")
        if not isinstance(item.get("subscribed", True), bool):
            raise AdminError("subscribed must be true or false")
        followers.append({"openid": item["openid"], "wxname": item.get("wxname", ""),
                          "subscribed": item.get("subscribed", True)})
    return followers
