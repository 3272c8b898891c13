"""Tracking (R14): each published article's daily readers and sharers, fetched from WeChat's
statistics and kept in Git beside the ledger.

Where the figures come from: WeChat's "发表内容数据" endpoints, `datacube/getarticleread`
(readers per article per day) and `datacube/getarticleshare` (sharers per article per day).
They cover both 发表 (freepublish) and 群发 (mass send), take a range of ONE day, answer day D
from D+1 (Beijing time) on, and name each article "<msg_data_id>_<idx>". The older
getarticlesummary family is no longer maintained by WeChat and covers mass sends only.
Favourites are not in the newer endpoints' documented answers, so they are not recorded.

Which article is which: WeChat's article links carry `mid=<msg_data_id>&idx=<n>`; the ledger
records each publication's link, so the key is read from there; a mass send's answer has no
links, so its final lines record the send's msg_data_id beside the article's index. A
publication with neither (a mass send recorded before that, or one a resend's 45065 answered)
is listed as untracked, with the reason; drafts were never read and are not asked about.

Where they are kept: the ref `refs/wxpub/stats` (`refs/wxpub/sandbox-stats` for sandbox
runs), written by the ledger's own code (`Ledger`: append-only JSON lines, one commit per
append, compare-and-swap, push with a lease): one line per account and day holding that day's
answer, so a day once recorded is never fetched again and history is kept.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

from pipeline.ledger import Entry, Ledger, utc_now
from pipeline.wechat import WeChat, WeChatError

STATS_REF = "refs/wxpub/stats"
SANDBOX_STATS_REF = "refs/wxpub/sandbox-stats"
STEP = "day_figures"  # one line per account and day
WECHAT_DAY = datetime.timezone(datetime.timedelta(hours=8))  # WeChat's days are Beijing days
FIRST_DAY = datetime.date(2025, 11, 1)  # the endpoints hold nothing earlier
TRACK_DAYS = 30  # days of figures fetched per article, from the day it went out (WeChat's own period)
MEASURES = {"getarticleread": "read_user", "getarticleshare": "share_user"}  # endpoint -> figure
TRACKED_STEPS = ("published", "mass_sent")  # drafted articles were never read by anyone


@dataclass(frozen=True)
class Tracked:
    """A published article and its key in WeChat's statistics."""

    path: str
    account: str
    msgid: str  # "<msg_data_id>_<idx>"
    day: datetime.date  # the Beijing day it went out


@dataclass(frozen=True)
class Untracked:
    path: str
    account: str
    reason: str


@dataclass(frozen=True)
class DayFigures:
    """One account's figures for one day, as recorded: msgid -> {"read_user": n, "share_user": m}."""

    account: str
    day: datetime.date
    articles: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class FetchResult:
    fetched: tuple[DayFigures, ...]
    delayed: tuple[tuple[str, datetime.date], ...]  # WeChat said the day's data is not final yet
    untracked: tuple[Untracked, ...]
    failed: tuple[tuple[str, str], ...] = ()  # (account, WeChat's error with advice): the other accounts go on


def msgid_of(url: str) -> str | None:
    """"<mid>_<idx>" of a WeChat article link, or None when the link does not carry them."""
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:  # "http://[x…": not a link at all (a damaged answer or ledger line)
        return None
    mid, idx = query.get("mid", [""])[0], query.get("idx", [""])[0]
    return f"{mid}_{idx}" if _DIGITS.fullmatch(mid) and _DIGITS.fullmatch(idx) else None


_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit also takes '²' and other scripts' digits


def msgid_for(entry: Entry) -> str | None:
    """The statistics' key of a final ledger line: from its link (发表), else from the mass
    send's msg_data_id and the article's 1-based index (群发, whose answer has no links)."""
    if entry.step not in TRACKED_STEPS:
        return None
    found = msgid_of(str(entry.data.get("url", "")))
    mid, index = str(entry.data.get("msg_data_id", "")), str(entry.data.get("index", ""))
    return found or (f"{mid}_{index}" if _DIGITS.fullmatch(mid) and _DIGITS.fullmatch(index) and int(index) > 0 else None)


def tracked(entries: Iterable[Entry]) -> tuple[list[Tracked], list[Untracked]]:
    """Every article that went out (retracted ones too: they were read before), once per msgid."""
    found: dict[str, Tracked] = {}
    untracked: dict[str, Untracked] = {}
    for entry in entries:
        if entry.step not in TRACKED_STEPS or not entry.path:
            continue
        msgid = msgid_for(entry)
        if msgid is None:
            reason = ("群发记录中没有 msg_data_id(本版本之前的群发,或重发时微信只答复了首次的 msg_id),无法对应到微信统计中的文章"
                      if entry.step == "mass_sent" else "发布记录中的文章链接不含 mid/idx,无法对应到微信统计中的文章")
            untracked.setdefault(entry.path, Untracked(entry.path, entry.account, reason))
            continue
        found.setdefault(msgid, Tracked(entry.path, entry.account, msgid, entry.moment.astimezone(WECHAT_DAY).date()))
    have = {t.path for t in found.values()}
    return list(found.values()), [u for path, u in untracked.items() if path not in have]


def recorded(entries: Iterable[Entry]) -> list[DayFigures]:
    """The figures kept in the stats ref, oldest first, one per account and day: two runners that
    fetched the same day at once both keep their line when their pushes are merged (the ledger's
    merge loses nothing), and counting both would count that day twice."""
    days: dict[tuple[str, datetime.date], DayFigures] = {}
    for entry in entries:
        figures = _figures(entry) if entry.step == STEP else None
        if figures is not None:
            days.setdefault((entry.account, figures.day), figures)
    return list(days.values())


def _figures(entry: Entry) -> DayFigures | None:
    """A day_figures line as written by `fetch`, else None: a damaged line (a hand edit, an older
    version) is skipped, so its day counts as not recorded and is fetched again."""
    text, articles = entry.data.get("date"), entry.data.get("articles", {})
    if not isinstance(text, str) or not isinstance(articles, Mapping):
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    kept: dict[str, dict[str, int]] = {}
    for msgid, figures in articles.items():
        if not isinstance(figures, Mapping) or not all(_count(n) is not None for n in figures.values()):
            return None
        kept[str(msgid)] = {str(m): n for m, n in figures.items()}
    return DayFigures(entry.account, day, kept)


def _count(value: Any) -> int | None:
    """WeChat counts people: a whole number of zero or more; anything else (a float, NaN, a
    string, a boolean) is not a count."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def days_due(articles: Iterable[Tracked], have: set[datetime.date], yesterday: datetime.date) -> list[datetime.date]:
    """The days one account still needs: each article's first TRACK_DAYS days up to yesterday,
    less the days already recorded."""
    due: set[datetime.date] = set()
    for article in articles:
        last = min(article.day + datetime.timedelta(days=TRACK_DAYS - 1), yesterday)
        day = max(article.day, FIRST_DAY)
        while day <= last:
            due.add(day)
            day += datetime.timedelta(days=1)
    return sorted(due - have)


def fetch(publications: Iterable[Entry], store: Ledger, client_for: Callable[[str], WeChat],
          today: datetime.date, accounts: Iterable[str] | None = None) -> FetchResult:
    """Fetch every missing (account, day) up to yesterday and append it to `store` (one commit per
    account). `client_for(account_id)` gives that account's API; `accounts` limits the accounts
    (default: every account with a tracked article)."""
    articles, untracked = tracked(publications)
    wanted = set(accounts) if accounts is not None else {a.account for a in articles}
    have: dict[str, set[datetime.date]] = {}
    for day in recorded(store.entries):
        have.setdefault(day.account, set()).add(day.day)
    fetched: list[DayFigures] = []
    delayed: list[tuple[str, datetime.date]] = []
    failed: list[tuple[str, str]] = []
    run = uuid.uuid4().hex
    for account in sorted(wanted):
        due = days_due([a for a in articles if a.account == account], have.get(account, set()),
                       today - datetime.timedelta(days=1))
        if not due:
            continue
        lines: list[Entry] = []
        try:
            client = client_for(account)
            for date in due:
                figures = _day(client, date)
                if figures is None:
                    delayed.append((account, date))
                    continue
                fetched.append(DayFigures(account, date, figures))
                lines.append(Entry(at=utc_now(), run=run, step=STEP, account=account,
                                   data={"date": date.isoformat(), "articles": {k: dict(v) for k, v in figures.items()}}))
        except WeChatError as error:  # one account's whitelist or quota must not stop the others
            failed.append((account, str(error)))
        finally:  # what was fetched before an error is kept: it is not fetched again
            if lines:
                store.append(*lines)
    return FetchResult(tuple(fetched), tuple(delayed), tuple(untracked), tuple(failed))


def _day(client: WeChat, day: datetime.date) -> dict[str, dict[str, int]] | None:
    """Every article's figures for one day (both endpoints), or None when WeChat says the day's
    data is still delayed (`is_delay`): it is fetched again on the next run."""
    figures: dict[str, dict[str, int]] = {}
    for endpoint, measure in MEASURES.items():
        answer = client.day_statistics(endpoint, day)
        if answer.get("is_delay"):
            return None
        items = answer.get("list")
        for item in items if isinstance(items, list) else []:  # an answer of another shape holds no figures
            msgid, value = _item(item, measure)
            if msgid:
                figures.setdefault(msgid, {})[measure] = value
    return figures


def _item(item: Any, measure: str) -> tuple[str, int]:
    if not isinstance(item, dict) or not isinstance(item.get("detail"), dict):
        return "", 0
    return str(item.get("msgid", "")), _count(item["detail"].get(measure, 0)) or 0


def totals(days: Iterable[DayFigures]) -> dict[str, dict[str, int]]:
    """msgid -> {"read_user": sum, "share_user": sum} over the days given."""
    out: dict[str, dict[str, int]] = {}
    for day in days:
        for msgid, figures in day.articles.items():
            into = out.setdefault(msgid, {measure: 0 for measure in MEASURES.values()})
            for measure, value in figures.items():
                into[measure] = into.get(measure, 0) + value
    return out
