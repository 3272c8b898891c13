"""`wxpub status`: the ledger — what was published where and when, from which commit (R14, R18);
with `--verify`, whether the ledger, WeChat and the commit agree."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Callable

from pipeline.commands.publish import LEDGER_REF, SANDBOX_LEDGER_REF, add_connection_arguments, connect, timeout_from
from pipeline.errors import ExitCode, UserError
from pipeline.ledger import Ledger

if TYPE_CHECKING:  # only --verify loads the policies
    from pipeline.policies import Account, Policies

_LABELS = {"published": "已发表", "drafted": "已存草稿", "mass_sent": "已群发"}


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("status", help=help_text, description=help_text)
    add_connection_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.add_argument("--verify", action="store_true",
                   help="核对发布记录、微信(草稿箱与已发表列表)和仓库中的文章是否一致;不一致时退出码为 1")
    p.add_argument("--rev", default="HEAD", help="与哪个提交核对(默认 HEAD)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sandboxed = args.sandbox or bool(args.sandbox_url)
    ledger = Ledger.open(args.root, ref=SANDBOX_LEDGER_REF if sandboxed else LEDGER_REF)
    rows: list[dict[str, object]] = [{"path": e.path, "account": e.account, "status": e.step, "at": e.at, "commit": e.commit,
             "url": str(e.data.get("url", "")), "article_id": str(e.data.get("article_id", "")),
             "approved_by": list(e.data.get("approved_by", []))}
            for e in sorted(ledger.published(), key=lambda e: e.at)]
    problems = _verify(args, ledger) if args.verify else None
    if args.format == "json":
        out: object = rows if problems is None else {"published": rows, "disagreements": problems}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        _print(rows, ledger.ref)
        if problems is not None:
            for problem in problems:
                print(f"不一致\t{problem['code']}\t{problem['account']}\t{problem['path'] or '-'}\t{problem['message']}")
            print("核对结果:发布记录、微信和仓库一致" if not problems else f"核对结果:{len(problems)} 处不一致")
    return ExitCode.FINDINGS if problems else ExitCode.OK


def _print(rows: list[dict[str, object]], ref: str) -> None:
    if not rows:
        print("发布记录为空:还没有发布过文章")
        return
    for row in rows:
        status = str(row["status"])
        approved = row["approved_by"]
        print(f"{row['at']}\t{_LABELS.get(status, status)}\t{row['account']}\t{row['path']}\t"
              f"{str(row['commit'])[:8]}\t{row['url']}\t{'、'.join(approved) if isinstance(approved, list) else ''}")
    print(f"共 {len(rows)} 篇;完整记录:git log {ref}")


def _reachable(policies: Policies, client: Callable[[Account], object]) -> list[str]:
    """The accounts whose credentials this run has (`client` makes the account's client, and
    keeps it for the listing): each is listed, even one the ledger has no line of (a ledger
    rewound past all of an account's lines leaves its anchor in WeChat). An account without
    credentials that the ledger knows still fails on them, as before."""
    reachable = []
    for account in policies.accounts.values():
        try:
            client(account)
        except UserError:
            continue
        reachable.append(account.id)
    return reachable


def _verify(args: argparse.Namespace, ledger: Ledger) -> list[dict[str, str]]:
    from pipeline.audit import verify  # only --verify talks to WeChat
    from pipeline.changes import open_repository, resolve_commit
    from pipeline.policies import Account, load_policies
    from pipeline.publish import articles_on, last_versions, published_versions
    from pipeline.snapshot import CommitTree
    from pipeline.wechat import WeChat, WeChatError

    hint = "在内容仓库中运行,并确认 --rev 正确"
    head = resolve_commit(open_repository(args.root, hint), args.rev, hint)
    commit = CommitTree(head.tree)  # as the publisher reads it: the commit, not the working tree
    policies = load_policies(args.root, commit)
    api, _, credentials = connect(args, args.root, policies)
    timeout = timeout_from(os.environ)
    clients: dict[str, WeChat] = {}

    def client(account: Account) -> WeChat:
        if account.id not in clients:
            clients[account.id] = WeChat(credentials(account), base_url=api, timeout=timeout)
        return clients[account.id]

    try:
        found = verify(ledger.state(policies.tz), policies, client, commit, articles_on(args.root, head),
                       published_versions(args.root), last_versions(args.root, str(head.id)),
                       holds=ledger.contains, also=_reachable(policies, client))
    except WeChatError as error:  # a list WeChat would not give whole: nothing verified, said so
        raise UserError(f"无法核对发布记录:{error}", hint=error.advice or "请稍后重新运行 wxpub status --verify") from error
    finally:
        server = getattr(args, "sandbox_server", None)
        if server is not None:
            server.shutdown()
    return [d.as_dict() for d in found]
