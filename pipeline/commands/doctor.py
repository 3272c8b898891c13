"""`wxpub doctor`: account health (R19) as a Chinese table, or JSON.

Exit codes (pipeline/errors.py): 0 healthy (warnings allowed), 1 an error found (or a
warning with --strict), 2 the policy does not load or the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from typing import Sequence

from pipeline.commands.publish import _now, add_connection_arguments, connect, timeout_from
from pipeline.doctor import ERROR, LEVEL_NAMES, WARNING, Check, check_account, policy_problem
from pipeline.errors import ExitCode, UserError
from pipeline.policies import Account, load_policies
from pipeline.wechat import WeChat


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("doctor", help=help_text, description=help_text)
    add_connection_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text,中文表格)")
    p.add_argument("--now", metavar="TIME",
                   help="按此日期判断认证与年审是否到期(YYYY-MM-DD[ HH:MM],策略时区);默认今天")
    p.add_argument("--strict", action="store_true", help="有警告(如 30 天内到期)也以退出码 1 结束(定时任务用)")
    p.add_argument("--account", action="append", default=[], metavar="ID", help="只检查这些账号(可重复;默认全部)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        policies = load_policies(args.root)
    except UserError as problem:
        _report([policy_problem(str(problem))], args.format)
        return ExitCode.USAGE
    unknown = [a for a in args.account if a not in policies.accounts]
    if unknown:
        raise UserError(f"policies.yaml 中没有账号 {'、'.join(unknown)};可选:{'、'.join(policies.accounts)}",
                        hint="--account 写 accounts 下的 id")
    today = _now(args.now, policies).astimezone(policies.tz).date()
    timeout = timeout_from(os.environ)
    sandboxed = bool(args.sandbox or args.sandbox_url)
    api, _ledger_ref, credentials = connect(args, args.root, policies)  # the ledger is never opened

    def client(account: Account) -> WeChat:
        return WeChat(credentials(account), base_url=api, timeout=timeout, retries=1, backoff=0.5)

    checks: list[Check] = []
    try:
        for account_id in args.account or list(policies.accounts):
            checks += check_account(policies, policies.accounts[account_id], os.environ, today, client,
                                    sandboxed=sandboxed)
    finally:
        server = getattr(args, "sandbox_server", None)
        if server is not None:
            server.shutdown()
    _report(checks, args.format)
    if any(c.level == ERROR for c in checks) or (args.strict and any(c.level == WARNING for c in checks)):
        return ExitCode.FINDINGS
    return ExitCode.OK


def _report(checks: list[Check], fmt: str) -> None:
    errors = sum(1 for c in checks if c.level == ERROR)
    warnings = sum(1 for c in checks if c.level == WARNING)
    if fmt == "json":
        sys.stdout.write(json.dumps({"checks": [c.as_dict() for c in checks], "errors": errors, "warnings": warnings},
                                    ensure_ascii=False, indent=2) + "\n")
    else:
        rows = [("账号", "检查项", "结果", "代码", "说明")]
        rows += [(c.account or "-", c.item, LEVEL_NAMES[c.level], c.code or "-", c.message) for c in checks]
        print(_table(rows))
        print(f"共 {len(checks)} 项:{errors} 个错误,{warnings} 个警告" if errors or warnings else f"共 {len(checks)} 项,全部正常")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(job_summary(checks))


def _width(text: str) -> int:
    """Columns a terminal gives `text`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    """Aligned columns; the last (the message) is left as long as it is."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def job_summary(checks: list[Check]) -> str:
    lines = ["## wxpub doctor 账号健康检查", "", "| 账号 | 检查项 | 结果 | 代码 | 说明 |", "|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {c.account or '-'} | {c.item} | {LEVEL_NAMES[c.level]} | {c.code or '-'} | "
                     f"{c.message.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n\n"
