"""The `wxpub` command line: parse, dispatch, and turn failures into the exit-code contract.

Each command is a module in pipeline/commands/ with `add_parser` and `run(args) -> int`.
This is the only place that catches exceptions: a UserError prints its message and hint
and exits 2; anything else is a bug and exits 3 with a note on how to report it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import traceback
from pathlib import Path
from typing import Any, Iterator, NoReturn, Sequence

from pipeline import POLICY_FILE, __version__
from pipeline.errors import ExitCode, UserError

# Command name -> (module, one-line help). Only the module of the command being run is
# imported: `wxpub lint` should not pay for the WeChat and GitHub clients at start-up.
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("pipeline.commands.lint", "检查文章是否符合 policies.yaml"),
    "render": ("pipeline.commands.render", "把文章渲染为微信图文 HTML"),
    "preview": ("pipeline.commands.preview", "生成文章的手机预览页(浅色与深色模式)"),
    "serve": ("pipeline.commands.serve", "启动本地预览服务器(保存即刷新)"),
    "publish": ("pipeline.commands.publish", "把 main 上已审核的文章发布到微信公众号"),
    "status": ("pipeline.commands.status", "查看发布记录"),
    "backup": ("pipeline.commands.backup", "备份微信中的文章、草稿与素材,并与发布记录核对偏差"),
    "sandbox": ("pipeline.commands.sandbox", "本地微信公众号接口沙箱"),
    "codeowners": ("pipeline.commands.codeowners", "由 policies.yaml 生成 .github/CODEOWNERS"),
    "approvals": ("pipeline.commands.approvals", "检查合并请求的分级审批"),
    "stats": ("pipeline.commands.stats", "获取已发布文章的阅读与分享数据,记录在 Git 中"),
    "report": ("pipeline.commands.report", "由 Git 历史、发布记录和统计数据生成报告(HTML 图表、CSV、Markdown)"),
    "init": ("pipeline.commands.init", "生成一所学校的文章仓库(policies.yaml、词表、工作流、示例文章)"),
    "new": ("pipeline.commands.new", "新建一篇文章:按账号、部门和日期生成文章目录与头部字段"),
    "schema": ("pipeline.commands.schema", "由 policies.yaml 生成编辑器检查文章头部字段所用的 JSON 模式文件(.vscode/)"),
    "doctor": ("pipeline.commands.doctor", "检查各公众号账号的健康状况(凭据、IP 白名单、发布时段、认证与年审日期)"),
}


def _find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds policies.yaml (else `start`)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / POLICY_FILE).is_file():
            return folder
    return start


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line, if any (the first word that is one)."""
    return next((word for word in argv if word in COMMANDS), None)


# argparse's own words, in Chinese. argparse looks each up through gettext as it needs it
# (module globals `_` and `ngettext`); _chinese() answers those look-ups from this table while
# wxpub's parsers build, format and parse, and puts gettext back afterwards. msgids are
# argparse's, unchanged since Python 3.11; one it asks for that is missing here stays English
# and tests/test_cli_chinese.py fails on it.
ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法:",
    "positional arguments": "位置参数",
    "options": "选项",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s:%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值 %(value)r(可选:%(choices)s)",
    "invalid %(type)s value: %(value)r": "无效的取值 %(value)r",
    "the following arguments are required: %s": "缺少必需的参数:%s",
    "unrecognized arguments: %s": "无法识别的参数:%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "该选项不接受取值 %r",
    "one of the arguments %s is required": "须给出以下参数之一:%s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确,可能是:%(matches)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的命令 %(parser_name)r(可选:%(choices)s)",
    "expected one argument": "需要一个取值",
    "expected at most one argument": "最多接受一个取值",
    "expected at least one argument": "至少需要一个取值",
    "expected %s argument": "需要 %s 个取值",
    "expected %s arguments": "需要 %s 个取值",
    "can't open '%(filename)s': %(error)s": "无法打开「%(filename)s」:%(error)s",
}


def _gettext(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def _chinese() -> Iterator[None]:
    saved = argparse.__dict__["_"], argparse.__dict__["ngettext"]
    setattr(argparse, "_", _gettext)
    setattr(argparse, "ngettext", _ngettext)
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])
        setattr(argparse, "ngettext", saved[1])


class _Parser(argparse.ArgumentParser):
    """argparse speaking Chinese: its headings, help and error messages (exit 2, the usage
    first). Subcommand parsers are made of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _chinese():  # the group titles and -h's help are looked up here
            super().__init__(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with _chinese():
            return super().parse_known_args(*args, **kwargs)

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        with _chinese():
            return super().parse_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with _chinese():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"错误:{self.prog}:{message}\n")


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `chosen` gets its full arguments (the others are listed for --help)."""
    parser = _Parser(prog="wxpub", description="学校微信公众号发布工具:检查、预览、审批与发布文章")
    parser.add_argument("--version", action="version", version=f"wxpub {__version__}", help="显示版本号并退出")
    parser.add_argument("--root", type=Path, default=None, help="含 policies.yaml 的仓库根目录(默认自动查找)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="命令")
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).add_parser(subparsers, help_text)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_chosen(words))
    args = parser.parse_args(words)
    args.root = (args.root or _find_root(Path.cwd())).resolve()
    try:
        return int(args.run(args))
    except UserError as exc:
        print(f"错误:{exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception:  # noqa: BLE001 - the one place that turns a bug into exit code 3
        print("wxpub 内部错误(这是 wxpub 的缺陷,不是您的内容问题)。请把以下信息附在问题报告中:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return ExitCode.BUG
