"""`wxpub report`: per account and department, from Git history, the ledger and the recorded
figures (R18): report.html with charts, a CSV per table and summary.md, into one folder."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

from pipeline.changes import open_repository, resolve_commit
from pipeline.commands import arguments
from pipeline.commands.publish import LEDGER_REF, SANDBOX_LEDGER_REF
from pipeline.errors import ExitCode, UserError, os_reason
from pipeline.ledger import Ledger
from pipeline.policies import load_policies
from pipeline.forge import ForgeError, forge_from_env
from pipeline.report import Contribution, PullTimes, build, contributions, period, pull_times, tables, write
from pipeline.snapshot import CommitTree
from pipeline.stats import SANDBOX_STATS_REF, STATS_REF, recorded, tracked

APPROVAL_NOTE = "「已审批」「审批人」取自发布记录:发布时逐篇核验并记录的审批人(wxpub publish --require-approvals)。"
NO_FORGE_NOTE = ("合并请求的创建时间和各审批人的批准时间只保存在 GitHub 上;本次没有提供 GitHub 令牌"
                 "(GITHUB_REPOSITORY 与 WXPUB_FORGE_TOKEN 或 GITHUB_TOKEN),未读取,相应各列留空。")
FORGE_NOTE = ("合并请求的创建时间和各审批人的批准时间读自 GitHub(每人在该合并请求上最后一次批准);"
              "「创建到批准」到最后一位审批人批准为止。")
LINT_NOTE = ("拦下合并请求的检查问题(lint)未统计:它们只出现在各合并请求的检查注释和作业摘要中,"
             "wxpub 不在仓库或发布记录中保存,报告无从计算。")


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("report", help=help_text, description=help_text)
    p.add_argument("--since", metavar="DATE", type=arguments.date, help="起始日期 YYYY-MM-DD(默认:截至 --until 的 30 天)")
    p.add_argument("--until", metavar="DATE", type=arguments.date, help="结束日期 YYYY-MM-DD,含当天(默认今天,策略时区)")
    p.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("report"),
                   help="输出目录(默认 report/):report.html、每个表格的 CSV、summary.md")
    p.add_argument("--sandbox", action="store_true", help="读取沙箱的发布记录与统计(refs/wxpub/sandbox-*)")
    p.add_argument("--rev", default="HEAD", help="统计哪个提交的历史(默认 HEAD)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.set_defaults(run=run)


def _pulls(added: list[Contribution]) -> tuple[dict[str, PullTimes], str]:
    """The pull request times of the articles contributed in the period, when a GitHub token is
    given; otherwise (or when GitHub cannot be read) none, and a note that says why."""
    environ = os.environ
    if not environ.get("GITHUB_REPOSITORY") or not (environ.get("WXPUB_FORGE_TOKEN") or environ.get("GITHUB_TOKEN")):
        return {}, NO_FORGE_NOTE
    forge = forge_from_env(environ)
    found: dict[str, PullTimes] = {}
    try:
        for contribution in added:
            times = pull_times(forge, contribution.commit)
            if times is not None:
                found[contribution.path] = times
    except ForgeError as error:
        return {}, f"读取 GitHub 上的合并请求失败,相应各列留空:{error.message}"
    return found, FORGE_NOTE


def run(args: argparse.Namespace) -> int:
    hint = "在内容仓库中运行,并确认 --rev 正确"
    repo = open_repository(args.root, hint)
    head = resolve_commit(repo, args.rev, hint)
    policies = load_policies(args.root, CommitTree(head.tree))
    span = period(args.since, args.until, datetime.datetime.now(policies.tz).date())
    ledger = Ledger.open(args.root, ref=SANDBOX_LEDGER_REF if args.sandbox else LEDGER_REF)
    store = Ledger.open(args.root, ref=SANDBOX_STATS_REF if args.sandbox else STATS_REF)
    figures = recorded(store.entries)
    notes = [APPROVAL_NOTE, LINT_NOTE]
    if not figures:
        # the stats workflow fetches them, not the publish one; and a day's figures exist only
        # from the next day, so a report on the day of the first publication has none yet
        notes.append(f"还没有阅读数据:{store.ref} 为空。阅读与分享数由 wxpub stats 获取(stats 工作流每天运行一次),"
                     "微信在文章发布的次日才提供前一天的数据。")
    untracked = tracked(ledger.entries)[1]
    if untracked:
        notes.append(f"{len(untracked)} 篇文章无法对应到微信统计(如群发的答复不含文章链接),其阅读与分享数留空。")
    names = {**{a.id: a.name for a in policies.accounts.values()}, **{d.id: d.name for d in policies.departments.values()}}
    added = contributions(repo, head)
    pulls, forge_note = _pulls([c for c in added if span.holds(c.at.astimezone(policies.tz).date())])
    notes.append(forge_note)
    report = build(span, policies.tz, added, ledger.entries, figures, names, notes, pulls)
    out = args.output if args.output.is_absolute() else Path.cwd() / args.output
    try:
        files = write(report, out)
    except OSError as error:  # a file where the folder should be, no permission, a full disk
        raise UserError(f"无法写入报告目录 {out}:{os_reason(error)}",
                        hint="用 -o 指定一个可写的目录(不存在时会自动创建)") from None
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write((out / "summary.md").read_text(encoding="utf-8"))
    if args.format == "json":
        tabs = tables(report)
        sys.stdout.write(json.dumps({"since": span.since.isoformat(), "until": span.until.isoformat(),
                                     "files": [str(f) for f in files],
                                     "tables": {t.name: [dict(zip(t.header, row)) for row in t.rows] for t in tabs[:2]},
                                     "notes": list(report.notes)}, ensure_ascii=False, indent=2) + "\n")
    else:
        for account, totals in report.by_account.items():
            print(f"{names.get(account, account)}\t投稿 {totals.contributed}\t已发布 {totals.published}\t"
                  f"已撤回 {totals.retracted}\t阅读 {totals.reads} 人\t分享 {totals.shares} 人")
        print(f"报告已写入 {out}(report.html、{len(files) - 2} 个 CSV、summary.md);区间 {span.since} 至 {span.until}")
    return ExitCode.OK
