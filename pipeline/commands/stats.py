"""`wxpub stats`: fetch each published article's daily readers and sharers from WeChat and
record them in Git beside the ledger (R14); a day once recorded is never fetched again."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

from pipeline.changes import open_repository, resolve_commit
from pipeline.commands.publish import SANDBOX_LEDGER_REF, add_connection_arguments, connect, timeout_from
from pipeline.errors import ExitCode, UserError
from pipeline.ledger import Ledger
from pipeline.policies import load_policies
from pipeline.snapshot import CommitTree
from pipeline.stats import SANDBOX_STATS_REF, STATS_REF, WECHAT_DAY, FetchResult, fetch
from pipeline.wechat import WeChat, server_time


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("stats", help=help_text, description=help_text + "(每个账号每天只获取一次)")
    add_connection_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.add_argument("--push", metavar="REMOTE", help="先从远程获取发布记录和统计记录,再把统计记录推送回去,例如 origin")
    p.add_argument("--rev", default="HEAD", help="从哪个提交读取 policies.yaml(默认 HEAD)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    hint = "在内容仓库中运行,并确认 --rev 正确"
    head = resolve_commit(open_repository(args.root, hint), args.rev, hint)
    policies = load_policies(args.root, CommitTree(head.tree))
    api, ledger_ref, credentials = connect(args, args.root, policies)
    sandboxed = ledger_ref == SANDBOX_LEDGER_REF
    ledger = Ledger.open(args.root, ref=ledger_ref)
    store = Ledger.open(args.root, ref=SANDBOX_STATS_REF if sandboxed else STATS_REF)
    if args.push:
        ledger.fetch(args.push)
        store.fetch(args.push)
    timeout = timeout_from(os.environ)
    clients: dict[str, WeChat] = {}

    def client_for(account_id: str) -> WeChat:
        if account_id not in policies.accounts:
            raise UserError(f"发布记录中的账号 `{account_id}` 不在 policies.yaml 中,无法获取它的统计",
                            where="policies.yaml", hint="恢复该账号的配置(含凭据变量名),或忽略此提示")
        if account_id not in clients:
            clients[account_id] = WeChat(credentials(policies.accounts[account_id]), base_url=api, timeout=timeout)
        return clients[account_id]

    # WeChat's date decides what "yesterday" is: the runner's clock may be off, or in UTC
    told = server_time(api, timeout)
    today = (told or datetime.datetime.now(datetime.timezone.utc)).astimezone(WECHAT_DAY).date()
    try:
        result = fetch(ledger.entries, store, client_for, today,
                       accounts=[a for a in {e.account for e in ledger.entries} if a in policies.accounts])
    finally:
        server = getattr(args, "sandbox_server", None)
        if server is not None:
            server.shutdown()
    if args.push:
        store.sync(args.push)
    calls = sum(n for c in clients.values() for endpoint, n in c.calls.items() if endpoint.startswith("datacube/"))
    _print(result, args.format, store.ref, calls)
    return ExitCode.FINDINGS if result.failed else ExitCode.OK


def _print(result: FetchResult, fmt: str, ref: str, calls: int) -> None:
    if fmt == "json":
        out = {"fetched": [{"account": d.account, "date": d.day.isoformat(), "articles": len(d.articles),
                            "read_user": sum(f.get("read_user", 0) for f in d.articles.values()),
                            "share_user": sum(f.get("share_user", 0) for f in d.articles.values())}
                           for d in result.fetched],
               "delayed": [{"account": a, "date": d.isoformat()} for a, d in result.delayed],
               "untracked": [{"path": u.path, "account": u.account, "reason": u.reason} for u in result.untracked],
               "failed": [{"account": a, "message": m} for a, m in result.failed], "calls": calls, "ref": ref}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    for day in result.fetched:
        reads = sum(f.get("read_user", 0) for f in day.articles.values())
        shares = sum(f.get("share_user", 0) for f in day.articles.values())
        print(f"已记录\t{day.account}\t{day.day.isoformat()}\t{len(day.articles)} 篇\t阅读 {reads} 人\t分享 {shares} 人")
    for account, date in result.delayed:
        print(f"稍后再取\t{account}\t{date.isoformat()}\t微信的统计数据尚未就绪(is_delay),下次运行时获取")
    for item in result.untracked:
        print(f"无法统计\t{item.account}\t{item.path}\t{item.reason}")
    for account, message in result.failed:
        print(f"失败\t{account}\t{message}", file=sys.stderr)
    print(f"本次:记录 {len(result.fetched)} 个账号日的数据,调用统计接口 {calls} 次;记录保存在 {ref}"
          if result.fetched else f"本次:没有需要获取的新数据(每个账号每天只获取一次);记录保存在 {ref}")
