"""`wxpub codeowners`: write .github/CODEOWNERS from policies.yaml; `--check` verifies the committed one."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.codeowners import CODEOWNERS_FILE, render_codeowners
from pipeline.commands.generated import Generated, add_arguments, write_or_check
from pipeline.policies import load_policies

CODEOWNERS = Generated(CODEOWNERS_FILE, "wxpub codeowners", "审核人分配(CODEOWNERS)没有生效", "GitHub 会请错审核人")


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("codeowners", help=help_text, description=help_text)
    add_arguments(p, CODEOWNERS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    return write_or_check(root, args, CODEOWNERS, render_codeowners(load_policies(root)))
