"""Statistics ("发表内容数据"): `datacube/getarticleread` and `datacube/getarticleshare`.

What WeChat documents for these two (api_getarticleread, api_getarticleshare, 2025-11):
- they live under https://api.weixin.qq.com/datacube/, not /cgi-bin/, and are POSTed
  {"begin_date": "YYYY-MM-DD", "end_date": "YYYY-MM-DD"};
- the range is ONE day (begin_date == end_date), and end_date can be yesterday at the latest
  (day D's figures exist from D+1, Beijing time); a longer range or today answers 61501
  "date range error", a date not written YYYY-MM-DD answers 61500 "date format error";
- data is kept from 2025-11-01 on: an earlier day answers an empty list;
- the answer is {"list": [...], "is_delay": false}, one item per article whose figures changed
  that day (none: an empty list), `msgid` being "<msg_data_id>_<idx>" (idx 1-based), with
  `detail.read_user` (readers that day) or `detail.share_user` (sharers that day).

The figures are made up but deterministic and plausible: seeded from the article's msgid and
the day, readers peak on the day the article went out and decay by about 40 % a day, sharers
are 3–12 % of readers. `figures()` is what the sandbox holds, for tests to compare against.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterator

from pipeline.sandbox.call import Call
from pipeline.sandbox.codes import ApiError
from pipeline.sandbox.publishing import SUCCESS
from pipeline.sandbox.store import BEIJING, day_of, loads

FIRST_DAY = datetime.date(2025, 11, 1)  # "数据存储起始时间为2025-11-01"
DECAY = 0.6  # readers on day n after publishing: peak × 0.6^n
ERRMSG = {61500: "date format error", 61501: "date range error"}


@dataclass(frozen=True)
class Figures:
    """One article's figures for one day."""

    read_user: int
    share_user: int


def figures(msgid: str, published: datetime.date, day: datetime.date) -> Figures:
    """What the sandbox holds for article `msgid` (published on `published`) on `day`."""
    age = (day - published).days
    if age < 0:
        return Figures(0, 0)
    seed = int.from_bytes(hashlib.sha256(f"{msgid}|{published.isoformat()}".encode()).digest()[:8], "big")
    peak = 200 + seed % 1800
    share_percent = 3 + (seed >> 16) % 10
    reads = int(peak * DECAY ** age)
    return Figures(reads, reads * share_percent // 100)


def _day(data: dict[str, Any], name: str) -> datetime.date:
    value = data.get(name)
    if not isinstance(value, str) or len(value) != 10:
        raise ApiError(61500, f"{name} must be YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ApiError(61500, f"{name} must be YYYY-MM-DD") from None


def _requested_day(call: Call) -> datetime.date:
    data = call.json()
    begin, end = _day(data, "begin_date"), _day(data, "end_date")
    if begin != end:
        raise ApiError(61501, "the range of these statistics is one day: begin_date must equal end_date")
    today = datetime.date.fromisoformat(day_of(call.now))
    if end >= today:
        raise ApiError(61501, "end_date can be yesterday (Beijing time) at the latest")
    return end


def _articles(db: sqlite3.Connection, appid: str) -> Iterator[tuple[str, datetime.date]]:
    """(msgid, the Beijing day it went out) of every article the account published or mass-sent."""
    for row in db.execute("SELECT msg_data_id, articles, finished_at FROM publications "
                          "WHERE appid = ? AND finished_at IS NOT NULL AND status IN (?, 5)", (appid, SUCCESS)):
        day = datetime.datetime.fromtimestamp(float(row["finished_at"]), BEIJING).date()
        for idx, _ in enumerate(loads(row["articles"]), 1):
            yield f"{row['msg_data_id']}_{idx}", day
    for row in db.execute("SELECT msg_data_id, articles, sent_at FROM mass_sends WHERE appid = ?", (appid,)):
        day = datetime.datetime.fromtimestamp(float(row["sent_at"]), BEIJING).date()
        for idx, _ in enumerate(loads(row["articles"]), 1):
            yield f"{row['msg_data_id']}_{idx}", day


def _listing(call: Call, field: str) -> dict[str, Any]:
    day = _requested_day(call)
    items: list[dict[str, Any]] = []
    if day >= FIRST_DAY:
        for msgid, published in _articles(call.db, call.appid):
            value = getattr(figures(msgid, published, day), field)
            if value:  # "如果当天没有文章的指标发生变化,返回的数据为空"
                items.append({"ref_date": day.isoformat(), "msgid": msgid, "detail": {field: value}})
    return {"list": items, "is_delay": False}


def getarticleread(call: Call) -> dict[str, Any]:
    return _listing(call, "read_user")


def getarticleshare(call: Call) -> dict[str, Any]:
    return _listing(call, "share_user")
