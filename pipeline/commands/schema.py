"""`wxpub schema`: write the editors' front-matter schema for this policy (pipeline/editor.py);
`--check` verifies the committed one."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.commands.generated import Generated, add_arguments, write_or_check
from pipeline.editor import FRONT_MATTER_SCHEMA_FILE, render_front_matter_schema
from pipeline.policies import load_policies

FRONT_MATTER = Generated(FRONT_MATTER_SCHEMA_FILE, "wxpub schema", "编辑器无法检查和补全文章的头部字段",
                         "编辑器会按旧的部门和栏目检查文章头部字段")


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("schema", help=help_text, description=help_text)
    add_arguments(p, FRONT_MATTER)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    return write_or_check(root, args, FRONT_MATTER, render_front_matter_schema(load_policies(root)))
