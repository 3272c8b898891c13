"""`wxpub lint`: check articles against policies.yaml (R5-R11, R20)."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from pipeline.changes import POLICY_PATHS, changed_since  # light: git starts before pygit2 loads
from pipeline.commands import arguments
from pipeline.errors import ExitCode, UserError
from pipeline.lint.model import Severity
from pipeline.lint.output import FORMATTERS
from pipeline.progress import Progress, bar_wanted

# The policy loader, the ledger, pygit2 and the rules are imported in run(), not here: the
# thread that asks git which articles changed starts first, so git's scan of the working tree
# overlaps those imports (~0.2 s of a pull request's check) instead of following them


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("lint", help=help_text, description=help_text)
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="文章目录、index.md 或其上级目录(默认 content/)")
    p.add_argument("--changed-since", metavar="REV", help="只检查自 REV 以来改动过的文章")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text", help="输出格式(默认 text)")
    p.add_argument("--strict", action="store_true", help="有警告时也以 1 退出")
    p.add_argument("--fix", action="store_true", help="自动修复能修复的问题(删除照片中的 GPS 信息)")
    p.add_argument("-j", "--jobs", type=arguments.positive, default=None, metavar="N", help="并行进程数(默认为 CPU 核数)")
    p.add_argument("--no-cache", action="store_true", help="不使用检查结果缓存,每篇文章都重新检查")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="检查结果缓存的目录(默认为仓库根目录下的 .wxpub-cache/;CI 可在两次运行之间保留它)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    # Which articles changed is git's work in another process (~0.1 s on a 20,000-file index):
    # asked first, in a thread that waits for it, while this one reads the policy and the ledger
    # and imports the rules; a pull request's check of 5 articles is mostly such fixed costs
    with ThreadPoolExecutor(1) as background:
        selected = background.submit(_select, root, args.paths, args.changed_since)
        from pipeline.policies import load_policies

        policies = load_policies(root)
        published = _published(root)
        from pipeline.lint.cache import FindingsCache
        from pipeline.lint.engine import lint_bundles  # the rules, markdown-it, Pillow: while git works

        bundles = selected.result()
    cache = None if args.no_cache or args.fix else FindingsCache.open(root, policies, args.cache_dir)
    with Progress.start("检查文章", "篇", shown=bar_wanted(args.format)) as bar:
        report = lint_bundles(root, policies, bundles, fix=args.fix, jobs=args.jobs, published=published, cache=cache,
                              progress=bar)
    sys.stdout.write(FORMATTERS[args.format](report))
    failing = report.count(Severity.ERROR) + (report.count(Severity.WARNING) if args.strict else 0)
    return ExitCode.FINDINGS if failing else ExitCode.OK


def _published(root: Path) -> dict[str, str]:
    """What the ledger says is published (path -> content hash); nothing outside a Git repo."""
    from pipeline.ledger import Ledger

    try:
        ledger = Ledger.open(root)
    except UserError:
        return {}
    if not ledger.entries:  # a pull request's checkout has no ledger ref: skip importing its state machine
        return {}
    return {e.path: e.content_hash for e in ledger.published()}


def _is_policy(root: Path, path: Path) -> bool:
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else ""
    return relative == POLICY_PATHS[0] or any(relative.startswith(prefix) for prefix in POLICY_PATHS[1:])


def _select(root: Path, paths: list[Path], since: str | None) -> list[PurePosixPath]:
    for path in paths:
        full = path if path.is_absolute() else Path.cwd() / path
        if not full.exists():
            raise UserError(f"路径不存在:{path}", hint="给出文章目录、index.md 或 content/ 下的目录")
        if not full.resolve().is_relative_to(root.resolve()):
            raise UserError(f"路径不在仓库 {root} 之内:{path}", hint="只能检查仓库中的文章")
    absolute = [(p if p.is_absolute() else Path.cwd() / p).resolve() for p in paths]
    if any(_is_policy(root.resolve(), path) for path in absolute):
        absolute = []  # the policy or a word list judges every article (as pre-commit passes them)
    changes = None if since is None else changed_since(root, since)
    from pipeline.content import find_bundles

    if changes is None:
        return list(find_bundles(root.resolve(), absolute or None))
    if changes.policy_changed:
        print("policies.yaml 或词表有改动:检查全部文章", file=sys.stderr)
        return list(find_bundles(root.resolve(), absolute or None))
    if absolute:
        return [b for b in changes.bundles if any((root.resolve() / b).is_relative_to(a) or (root.resolve() / b).parent == a
                                                  for a in absolute)]
    return list(changes.bundles)
