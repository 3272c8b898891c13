"""Files wxpub generates from policies.yaml and a school commits (CODEOWNERS, the editors'
front-matter schema): write them, print them (`-o -`), or `--check` that the committed one
is what the policy gives."""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ExitCode, UserError, os_reason


@dataclass(frozen=True)
class Generated:
    default_path: str  # where it lives in the repository
    command: str  # the command that writes it, for hints
    missing: str  # what goes wrong when it is missing (Chinese)
    stale: str  # what goes wrong when it differs from the policy (Chinese)


def add_arguments(p: argparse.ArgumentParser, generated: Generated) -> None:
    p.add_argument("--check", action="store_true", help="只检查现有文件是否与 policies.yaml 一致,不一致时以 1 退出")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help=f"写入(或用 --check 检查)的文件,默认 {generated.default_path};- 表示标准输出")


def write_or_check(root: Path, args: argparse.Namespace, generated: Generated, text: str) -> int:
    if args.output is not None and str(args.output) == "-":
        if args.check:
            raise UserError("--check 需要一个文件,不能与 -o - 一起使用", hint="去掉 -o - 或去掉 --check")
        sys.stdout.write(text)
        return ExitCode.OK
    target = _target(root, args.output, generated)
    shown = _shown(root, target)
    if args.check:
        return _check(target, shown, text, generated)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="\n") as handle:  # the same bytes on every platform
            handle.write(text)
    except OSError as exc:
        raise UserError(f"无法写入 {shown}:{os_reason(exc)}", hint="用 -o 指定一个可写的文件,或检查目录权限") from None
    print(f"已写入 {shown}")
    return ExitCode.OK


def _target(root: Path, output: Path | None, generated: Generated) -> Path:
    if output is None:
        return root / generated.default_path
    return output if output.is_absolute() else Path.cwd() / output


def _shown(root: Path, target: Path) -> str:
    """The path as people know it: relative to the repository when it is inside it."""
    resolved = target.resolve()
    return resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else str(target)


def _check(target: Path, shown: str, expected: str, generated: Generated) -> int:
    try:
        current = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"无法读取 {shown}:{exc}", hint=f"删除该文件后运行 {generated.command} 重新生成") from None
    if current == expected:
        print(f"{shown} 与 policies.yaml 一致")
        return ExitCode.OK
    if current is None:
        print(f"{shown} 不存在:{generated.missing}", file=sys.stderr)
    else:
        print(f"{shown} 与 policies.yaml 不一致:{generated.stale}", file=sys.stderr)
        diff = difflib.unified_diff(current.splitlines(keepends=True), expected.splitlines(keepends=True),
                                    fromfile=f"{shown} (现有)", tofile=f"{shown} (由 policies.yaml 生成)")
        sys.stderr.writelines(diff)
    print(f"  提示:运行 {generated.command} 重新生成,并把该文件与 policies.yaml 的改动一起提交", file=sys.stderr)
    return ExitCode.FINDINGS
