"""`wxpub new`: start an article bundle with the right folder name and front matter (pipeline/newarticle.py)."""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from pipeline.commands import arguments
from pipeline.errors import ExitCode
from pipeline.newarticle import COVER_FILE, NewArticle, create, slug_from
from pipeline.policies import load_policies


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("new", help=help_text, description=help_text)
    p.add_argument("--account", required=True, metavar="ACCOUNT", help="账号的键名(见 policies.yaml 中的账号列表)")
    p.add_argument("--department", required=True, metavar="DEPT", help="部门的键名(须为该账号的供稿部门)")
    p.add_argument("--title", default="", metavar="TITLE", help="文章标题(可稍后在 index.md 中填写)")
    p.add_argument("--author", default="", metavar="NAME", help="作者姓名(可稍后填写)")
    p.add_argument("--category", default="", metavar="NAME", help="栏目(须为 policies.yaml 所列栏目之一;可稍后填写)")
    p.add_argument("--date", type=arguments.date, default=None, metavar="YYYY-MM-DD",
                   help="目录名中的日期(默认为策略时区的今天)")
    p.add_argument("--slug", default=None, metavar="NAME",
                   help="目录名中的英文短名(小写字母、数字和连字符;默认取标题中的英文单词,标题中没有英文时用通用短名)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    policies = load_policies(root)
    date = args.date or datetime.datetime.now(policies.tz).date()
    request = NewArticle(account=args.account, department=args.department, date=date,
                         slug=args.slug if args.slug is not None else slug_from(args.title),
                         title=args.title, author=args.author, category=args.category)
    index = create(root, policies, request)
    shown = os.path.relpath(root / index) if (root / index).resolve().is_relative_to(Path.cwd().resolve()) else str(root / index)
    print(f"已新建文章:{shown}")
    print(f"下一步:填写 index.md 中空着的字段和正文,把封面存为同目录下的 {COVER_FILE},然后运行 wxpub lint {Path(shown).parent}")
    return ExitCode.OK
