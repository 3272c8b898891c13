"""`wxpub codeowners`: write .github/CODEOWNERS from policies.yaml; `--check` verifies the committed one."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from pipeline.codeowners import CODEOWNERS_FILE, render_codeowners
from pipeline.errors import ExitCode, UserError
from pipeline.policies import load_policies


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("codeowners", help=help_text, description=help_text)
    p.add_argument("--check", action="store_true", help="只检查现有文件是否与 policies.yaml 一致,不一致时以 1 退出")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help=f"写入(或用 --check 检查)的文件,默认 {CODEOWNERS_FILE};- 表示标准输出")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    text = render_codeowners(load_policies(root))
    if args.output is not None and str(args.output) == "-":
        if args.check:
            raise UserError("--check 需要一个文件,不能与 -o - 一起使用", hint="去掉 -o - 或去掉 --check")
        sys.stdout.write(text)
        return ExitCode.OK
    target = _target(root, args.output)
    shown = _shown(root, target)
    if args.check:
        return _check(target, shown, text)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as handle:  # the same bytes on every platform
        handle.write(text)
    print(f"已写入 {shown}")
    return ExitCode.OK


def _target(root: Path, output: Path | None) -> Path:
    if output is None:
        return root / CODEOWNERS_FILE
    return output if output.is_absolute() else Path.cwd() / output


def _shown(root: Path, target: Path) -> str:
    """The path as people know it: relative to the repository when it is inside it."""
    resolved = target.resolve()
    return resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else str(target)


def _check(target: Path, shown: str, expected: str) -> int:
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"无法读取 {shown}:{exc}", hint="删除该文件后运行 wxpub codeowners 重新生成") from None
    if current == expected:
        print(f"{shown} 与 policies.yaml 一致")
        return ExitCode.OK
    if current is None:
        print(f"{shown} 不存在:审核人分配(CODEOWNERS)没有生效", file=sys.stderr)
    else:
        print(f"{shown} 与 policies.yaml 不一致:GitHub 会请错审核人", file=sys.stderr)
        diff = difflib.unified_diff(current.splitlines(keepends=True), expected.splitlines(keepends=True),
                                    fromfile=f"{shown} (现有)", tofile=f"{shown} (由 policies.yaml 生成)")
        sys.stderr.writelines(diff)
    print("  提示:运行 wxpub codeowners 重新生成,并把该文件与 policies.yaml 的改动一起提交", file=sys.stderr)
    return ExitCode.FINDINGS
