"""`wxpub render ARTICLE`: the HTML that goes into the WeChat draft's `content` field.

With --check the HTML is also held to WeChat's article structure spec: the static rules
(pipeline/render/check.py) always, and the rules that need layout (pipeline/render/layout.py)
measured in headless Chromium at 375, 585 and 677 px. Each problem goes to stderr; the HTML
is written either way. Exit status: 1 when a problem was found; 2 when nothing was found but
the browser could not be had (the layout rules did not run, so no pass is claimed; the
message lists them); 0 only when every rule ran and passed. --check=static asks for the
static rules alone (0 when they pass), for machines without a browser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from pipeline.content import Article, find_bundles, load_article
from pipeline.errors import ExitCode, UserError, os_reason
from pipeline.policies import Policies, load_policies
from pipeline.render import RenderedArticle, render_article
from pipeline.render.check import StructureProblem, check_html
from pipeline.render.layout import (BrowserUnavailable, LayoutFailed, open_checker, skipped_rules_message,
                                    structure_problems)
from pipeline.snapshot import WorkTree

CHECK_FULL = "full"
CHECK_STATIC = "static"


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("render", help=help_text, description=help_text)
    p.add_argument("article", type=Path, metavar="ARTICLE", help="文章目录或其 index.md")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="写入文件(默认输出到标准输出)")
    p.add_argument("--theme", metavar="NAME", help="使用 themes/ 下的其他主题(默认按账号设置)")
    p.add_argument("--check", nargs="?", const=CHECK_FULL, choices=(CHECK_FULL, CHECK_STATIC), metavar="static",
                   help="按微信文章结构规范检查渲染结果(含浏览器排版检查),有问题时以 1 退出;"
                        "没有浏览器、排版规则无法运行时以 2 退出。--check=static 只做静态检查")
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


def measured(html: str, folder: Path) -> list[StructureProblem]:
    """Static and layout rules; raises BrowserUnavailable without a browser, LayoutFailed when it breaks."""
    with open_checker() as checker:
        return structure_problems(checker, html, folder)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    policies = load_policies(root)
    article = load_one(root, policies, args.article)
    rendered = render_article(article, policies, theme=args.theme)
    write(rendered, args.output)
    if not args.check:
        return ExitCode.OK
    folder = (root / article.path).parent
    unmeasured = ""
    try:
        problems = measured(rendered.content, folder) if args.check == CHECK_FULL else check_html(rendered.content)
    except BrowserUnavailable as exc:
        problems, unmeasured = check_html(rendered.content), skipped_rules_message(str(exc))
    except LayoutFailed as exc:
        raise UserError(str(exc), where=str(rendered.path),
                        hint="重试一次;仍然失败时用 --check=static 只做静态检查,并把这条输出报告给维护者") from None
    for problem in problems:
        print(f"{rendered.path}: {problem.rule} {problem.message} ({problem.snippet})", file=sys.stderr)
    if unmeasured:
        print(f"{rendered.path}: {unmeasured}\n  提示:安装浏览器后重试,或用 --check=static 明确只做静态检查", file=sys.stderr)
    if problems:
        return ExitCode.FINDINGS
    return ExitCode.USAGE if unmeasured else ExitCode.OK


def write(rendered: RenderedArticle, output: Path | None) -> None:
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(rendered.content + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"无法写入:{os_reason(exc)}", where=str(exc.filename or output),
                            hint="换一个可写的 -o 路径,或不加 -o 输出到标准输出") from None
        print(f"已写入 {output}", file=sys.stderr)
    else:
        sys.stdout.write(rendered.content + "\n")
