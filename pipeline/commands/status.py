"""`wxpub status`: the ledger — what was published where and when, from which commit (R14, R18)."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.commands.publish import LEDGER_REF, SANDBOX_LEDGER_REF
from pipeline.errors import ExitCode
from pipeline.ledger import Ledger

_LABELS = {"published": "已发表", "drafted": "已存草稿", "mass_sent": "已群发"}


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("status", help=help_text, description=__doc__)
    p.add_argument("--sandbox", action="store_true", help="查看沙箱发布的记录")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ledger = Ledger.open(args.root, ref=SANDBOX_LEDGER_REF if args.sandbox else LEDGER_REF)
    rows = [{"path": e.path, "account": e.account, "status": e.step, "at": e.at, "commit": e.commit,
             "url": str(e.data.get("url", "")), "article_id": str(e.data.get("article_id", "")),
             "approved_by": list(e.data.get("approved_by", []))}
            for e in sorted(ledger.published(), key=lambda e: e.at)]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return ExitCode.OK
    if not rows:
        print("发布记录为空:还没有发布过文章")
        return ExitCode.OK
    for row in rows:
        status = str(row["status"])
        print(f"{row['at']}\t{_LABELS.get(status, status)}\t{row['account']}\t{row['path']}\t"
              f"{str(row['commit'])[:8]}\t{row['url']}\t{'、'.join(row['approved_by'])}")
    print(f"共 {len(rows)} 篇;完整记录:git log {ledger.ref}")
    return ExitCode.OK
