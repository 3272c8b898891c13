"""Account health (R19): what would stop an account from publishing, found before it does.

Per account: the credentials are in the environment (names only, never values), a token can
be had (40164 said plainly, with the address WeChat saw), the schedule leaves the publisher
somewhere to publish, and the certification, annual review and renewal dates are not past or
near (Account.due_dates, the same judgement as lint's ACC001/ACC002). The policy itself is
validated by the one loader (pipeline.policies): windows inside a day and in order, caps ≥ 1,
a time zone that exists; a policy that does not load is the first and only finding.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from pipeline.policies import Account, Policies
from pipeline.wechat import WeChat, WeChatError

OK, WARNING, ERROR = "ok", "warning", "error"
LEVEL_NAMES = {OK: "正常", WARNING: "警告", ERROR: "错误"}
# How WeChat words 40164: "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: ..."
_CALLER_IP = re.compile(r"invalid ip ([0-9A-Fa-f:.]+)")


@dataclass(frozen=True)
class Check:
    """One line of the health table. `code` is stable (English) for warnings and errors."""

    account: str  # account id; "" for the policy as a whole
    item: str  # Chinese name of what was checked
    level: str  # ok | warning | error
    message: str  # Chinese: what was found, and what to do
    code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "item": self.item, "level": self.level, "code": self.code,
                "message": self.message}


def policy_problem(message: str) -> Check:
    return Check("", "策略文件", ERROR, message, "DOC001")


def check_account(policies: Policies, account: Account, environ: Mapping[str, str], today: datetime.date,
                  client: Callable[[Account], WeChat], *, sandboxed: bool = False) -> list[Check]:
    """Every check of one account. The credentials come from the environment (checked here
    first, by name), or from the sandbox when `sandboxed`."""
    checks = []
    if not sandboxed:
        missing = [name for name in (account.appid_env, account.secret_env) if not environ.get(name)]
        if missing:
            checks.append(Check(account.id, "凭据", ERROR, f"缺少环境变量 {'、'.join(missing)};"
                                "请在 CI 的 wechat 环境中设置这些 secret 并传给 wxpub", "DOC002"))
        else:
            checks.append(Check(account.id, "凭据", OK, f"已设置 {account.appid_env}、{account.secret_env}"))
    else:
        checks.append(Check(account.id, "凭据", OK, "沙箱凭据"))
    if not any(c.level == ERROR for c in checks):
        checks.append(_token(account, client))
    checks.extend(_schedule(policies, account))
    checks.extend(date_checks(account, today))
    return checks


def _token(account: Account, client: Callable[[Account], WeChat]) -> Check:
    try:
        client(account).token()
    except WeChatError as error:
        if error.errcode == 40164:
            found = _CALLER_IP.search(error.errmsg)
            ip = found.group(1) if found else ""
            where = f"本机出口 IP {ip}" if ip else "本机出口 IP(微信未告知)"
            return Check(account.id, "接口令牌", ERROR,
                         f"{where} 不在该公众号的 IP 白名单中:请在公众号后台「设置与开发 → 基本配置 → IP 白名单」加入 {ip or '它'};"
                         "GitHub 托管的 runner 出口 IP 不固定,请在固定出口 IP 的自托管 runner 上运行", "DOC004")
        return Check(account.id, "接口令牌", ERROR, str(error), "DOC003")
    return Check(account.id, "接口令牌", OK, "已取得 access_token(stable_token,不影响其他系统的令牌)")


def _schedule(policies: Policies, account: Account) -> list[Check]:
    schedule = account.schedule
    found = []
    if not schedule.windows:
        found.append(Check(account.id, "发布时段", WARNING, "没有设置发布时段(schedule.windows):文章在任何时间都会发出,"
                           "包括上课时间和深夜;请按第十二条设置", "DOC005"))
    spans = sorted(schedule.windows)
    for (start, end), (next_start, _next_end) in zip(spans, spans[1:]):
        if next_start < end:
            found.append(Check(account.id, "发布时段", WARNING, f"时段 {start:%H:%M}-{end:%H:%M} 与下一个时段重叠;"
                               "请合并为一个时段", "DOC005"))
    if schedule.daily_cap is None:
        found.append(Check(account.id, "每日上限", WARNING, "没有设置每日上限(schedule.daily_cap):一天内可能发出任意多篇;"
                           "第十二条要求每天一到两篇", "DOC006"))
    if not found:
        windows = "、".join(f"{s:%H:%M}-{'24:00' if e == datetime.time.max else f'{e:%H:%M}'}" for s, e in schedule.windows)
        days = "、".join(schedule.weekdays) if schedule.weekdays else "每天"
        found.append(Check(account.id, "发布时段", OK, f"{days} {windows}({policies.timezone}),每天最多 {schedule.daily_cap} 篇"))
    return found


def date_checks(account: Account, today: datetime.date) -> list[Check]:
    """Certification, annual review and renewal on `today`: past is an error (ACC002), within
    warn_days (the day itself included) a warning (ACC001), as lint judges them."""
    dues = account.due_dates(today)
    if not dues:
        return [Check(account.id, "认证与年审", OK, "未填写 certification 日期(填写后到期前会提醒)")]
    found = []
    for due in dues:
        key = f"accounts.{account.id}.certification.{due.key}"
        if due.past:
            found.append(Check(account.id, due.label, ERROR, f"已于 {due.due} 过期({-due.days} 天前);请尽快办理,并更新 {key}",
                               "ACC002"))
        elif account.due_soon(due):
            found.append(Check(account.id, due.label, WARNING, f"将于 {due.due} 到期(还有 {due.days} 天);请及时办理,并更新 {key}",
                               "ACC001"))
        else:
            found.append(Check(account.id, due.label, OK, f"{due.due} 到期(还有 {due.days} 天)"))
    return found
