"""When an account may publish (R12): publish windows, weekdays, daily caps, publish_at.

Pure functions of the policy, the article and a clock, so a test can ask "may this go out
at 10:00 on a Monday?" without waiting for Monday.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pipeline.policies import Account

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # Chinese, for the queue listing: why it waits, and until when roughly


def in_window(account: Account, local: datetime.datetime) -> bool:
    schedule = account.schedule
    if schedule.weekdays and WEEKDAYS[local.weekday()] not in schedule.weekdays:
        return False
    if not schedule.windows:
        return True
    now = local.time()
    return any(start <= now < end or (end == datetime.time.max and now >= start) for start, end in schedule.windows)


def next_window_text(account: Account) -> str:
    windows = "、".join(f"{s.strftime('%H:%M')}-{'24:00' if e == datetime.time.max else e.strftime('%H:%M')}"
                       for s, e in account.schedule.windows)
    days = "、".join(account.schedule.weekdays)
    return f"{days + ' ' if days else ''}{windows or '全天'}"


def may_publish(account: Account, local_now: datetime.datetime, publish_at: datetime.datetime | None,
                published_today: int) -> Verdict:
    """Whether one more article of `account` may go out now (local time of the policy's zone)."""
    if publish_at is not None and local_now < publish_at:
        return Verdict(False, f"定时发布:{publish_at.strftime('%Y-%m-%d %H:%M')} 之后")
    if not in_window(account, local_now):
        return Verdict(False, f"不在发布时段({next_window_text(account)})")
    cap = account.schedule.daily_cap
    if cap is not None and published_today >= cap:
        return Verdict(False, f"今日已发布 {published_today} 篇,达到每日上限 {cap} 篇,明日再发")
    return Verdict(True, "")


def parse_publish_at(value: object, tz: datetime.tzinfo) -> datetime.datetime | None:
    """front matter publish_at (YYYY-MM-DD[ HH:MM]) as an aware local time; None when absent."""
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.datetime.fromisoformat(value)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
