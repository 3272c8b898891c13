"""`wxpub init DIR`: scaffold a school's content repository (pipeline/scaffold.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.errors import ExitCode
from pipeline.scaffold import scaffold


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("init", help=help_text, description=help_text)
    p.add_argument("directory", type=Path, metavar="DIR", help="要生成的文件夹(不存在时新建;须为空)")
    p.add_argument("--force", action="store_true", help="文件夹不为空时也生成(同名文件会被覆盖)")
    p.add_argument("--source", metavar="URL", default=None,
                   help="工作流安装 wxpub 所用的 Git 仓库地址(默认为 wxpub 的官方仓库),安装与本版本相同的标签")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    made = scaffold(args.directory, force=args.force, source=args.source)
    print(f"已在 {made.root} 生成内容仓库({len(made.written)} 个文件):")
    for name in made.written:
        print(f"  {name}")
    print(f"工作流安装:{made.install}")
    print("下一步:修改 policies.yaml(学校、部门、审核团队、账号),运行 wxpub codeowners 和 wxpub schema,然后 git init 并提交;编辑人员运行 pre-commit install 后,每次提交前检查改动的文章。")
    return ExitCode.OK
