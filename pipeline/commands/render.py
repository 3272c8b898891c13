"""`wxpub render ARTICLE`: the HTML that goes into the WeChat draft's `content` field.

With --check the HTML is also held to WeChat's article structure spec (pipeline/render/check.py):
each problem goes to stderr and the exit code is 1; the HTML is written either way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from pipeline.content import Article, find_bundles, load_article
from pipeline.errors import ExitCode, UserError
from pipeline.policies import Policies, load_policies
from pipeline.render import render_article
from pipeline.render.check import check_html
from pipeline.snapshot import WorkTree


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("render", help=help_text, description=help_text)
    p.add_argument("article", type=Path, metavar="ARTICLE", help="文章目录或其 index.md")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="写入文件(默认输出到标准输出)")
    p.add_argument("--theme", metavar="NAME", help="使用 themes/ 下的其他主题(默认按账号设置)")
    p.add_argument("--check", action="store_true", help="按微信文章结构规范检查渲染结果,有问题时以 1 退出")
    p.set_defaults(run=run)


def load_one(root: Path, policies: Policies, path: Path) -> Article:
    """The article at `path` (a bundle folder or its index.md), or a UserError saying why not."""
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not full.exists():
        raise UserError(f"路径不存在:{path}", hint="给出文章目录或其 index.md")
    bundles = [b for b in find_bundles(root, [full]) if (root / b).parent == (full if full.is_dir() else full.parent)]
    if not bundles:
        raise UserError(f"{path} 不是文章目录(其中没有 index.md)", hint="文章位于 content/<账号>/<部门>/<日期-短名>/index.md")
    loaded = load_article(WorkTree(root), PurePosixPath(bundles[0]))
    if not isinstance(loaded, Article):
        raise UserError(loaded.message, where=f"{loaded.path}:{loaded.line}", hint="先运行 wxpub lint 修正这篇文章")
    return loaded


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    policies = load_policies(root)
    article = load_one(root, policies, args.article)
    rendered = render_article(article, policies, theme=args.theme)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(rendered.content + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"无法写入:{exc.strerror}", where=str(exc.filename or args.output),
                            hint="换一个可写的 -o 路径,或不加 -o 输出到标准输出") from None
        print(f"已写入 {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(rendered.content + "\n")
    problems = check_html(rendered.content) if args.check else []
    for problem in problems:
        print(f"{rendered.path}: {problem.rule} {problem.message} ({problem.snippet})", file=sys.stderr)
    return ExitCode.FINDINGS if problems else ExitCode.OK
