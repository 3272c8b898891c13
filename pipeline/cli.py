"""The `wxpub` command line: parse, dispatch, and turn failures into the exit-code contract.

Each command is a module in pipeline/commands/ with `add_parser` and `run(args) -> int`.
This is the only place that catches exceptions: a UserError prints its message and hint
and exits 2; anything else is a bug and exits 3 with a note on how to report it.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Sequence

from pipeline import __version__
from pipeline.commands import approvals, codeowners, lint, preview, publish, render, sandbox, serve, status
from pipeline.errors import ExitCode, UserError
from pipeline.policies import POLICY_FILE

COMMANDS = (lint, render, preview, serve, publish, status, sandbox, codeowners, approvals)


def _find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds policies.yaml (else `start`)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / POLICY_FILE).is_file():
            return folder
    return start


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wxpub", description="学校微信公众号发布流水线(docs-as-code)")
    parser.add_argument("--version", action="version", version=f"wxpub {__version__}")
    parser.add_argument("--root", type=Path, default=None, help="含 policies.yaml 的仓库根目录(默认自动查找)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
