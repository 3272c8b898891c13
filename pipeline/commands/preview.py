"""`wxpub preview`: phone previews of articles as standalone HTML pages (light and dark mode).

Each article becomes DIR/<account>--<department>--<bundle>.html with its images embedded,
so the folder can be zipped, uploaded as a CI artifact and opened from disk anywhere;
DIR/index.html lists them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from pipeline.changes import changed_since
from pipeline.content import Article, find_bundles, load_article
from pipeline.errors import ExitCode, UserError
from pipeline.policies import Policies, load_policies
from pipeline.progress import Progress, bar_wanted
from pipeline.preview import IndexEntry, build_index, build_preview, index_entry, preview_file_name
from pipeline.snapshot import WorkTree

DEFAULT_OUTPUT = Path("build") / "preview"
INDEX_FILE = "index.html"


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("preview", help=help_text, description=help_text)
    p.add_argument("articles", nargs="*", type=Path, metavar="ARTICLE",
                   help="文章目录、index.md 或其上级目录(默认 content/ 下全部文章)")
    p.add_argument("-o", "--output", type=Path, metavar="DIR", help=f"输出目录(默认 仓库根目录/{DEFAULT_OUTPUT.as_posix()}/)")
    p.add_argument("--changed-since", metavar="REV", help="只预览自 REV 以来改动过的文章")
    p.add_argument("--theme", metavar="NAME", help="使用 themes/ 下的其他主题(默认按账号设置)")
    p.set_defaults(run=run)


def select_bundles(root: Path, paths: list[Path], since: str | None) -> list[PurePosixPath]:
    """index.md of every article named by `paths` (default: all), limited to changes since `since`."""
    absolute: list[Path] = []
    for path in paths:
        full = (path if path.is_absolute() else Path.cwd() / path).resolve()
        if not full.exists():
            raise UserError(f"路径不存在:{path}", hint="给出文章目录、index.md 或 content/ 下的目录")
        if not full.is_relative_to(root.resolve()):
            raise UserError(f"路径不在仓库 {root} 之内:{path}", hint="只能预览仓库中的文章")
        absolute.append(full)
    found = list(find_bundles(root.resolve(), absolute or None))
    if absolute and not found:
        raise UserError(f"{' '.join(str(p) for p in paths)} 中没有文章(index.md)",
                        hint="文章位于 content/<账号>/<部门>/<日期-短名>/index.md")
    if since is None:
        return found
    changes = changed_since(root, since)
    if changes.policy_changed:
        print("注意:policies.yaml 或词表有改动,只预览内容有改动的文章", file=sys.stderr)
    changed = set(changes.bundles)
    return [b for b in found if b in changed]


def _display(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter to read and click)."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def write_previews(root: Path, policies: Policies, bundles: list[PurePosixPath], output: Path,
                   theme: str | None, progress: Progress = Progress()) -> tuple[list[Path], list[str]]:
    """Write one page per loadable article and the index; (written files, problems)."""
    output.mkdir(parents=True, exist_ok=True)
    progress.expect(len(bundles))
    written: list[Path] = []
    entries: list[IndexEntry] = []
    problems: list[str] = []
    for bundle in bundles:
        progress.working_on(bundle.parent.name)
        loaded = load_article(WorkTree(root), bundle)
        if not isinstance(loaded, Article):
            problems.append(f"{loaded.path}:{loaded.line}: {loaded.message}")
            entries.append(IndexEntry("", bundle.parent.name, bundle.parts[1] if len(bundle.parts) > 1 else "", "",
                                      str(bundle), problem=loaded.message))
            progress.advance()
            continue
        name = preview_file_name(loaded)
        target = output / name
        target.write_text(build_preview(loaded, policies, theme=theme), encoding="utf-8")
        written.append(target)
        entries.append(index_entry(loaded, policies, name))
        progress.advance()
    index = output / INDEX_FILE
    # errors="replace": a folder name that is not UTF-8 (ART001 on its entry) is still listed
    index.write_text(build_index(entries, heading="文章手机预览", note=f"共 {len(written)} 篇文章的预览"),
                     encoding="utf-8", errors="replace")
    written.append(index)
    return written, problems


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    policies = load_policies(root)
    bundles = select_bundles(root, args.articles, args.changed_since)
    output: Path = args.output if args.output is not None else root / DEFAULT_OUTPUT
    try:
        with Progress.start("生成预览", "篇", shown=bar_wanted()) as bar:
            written, problems = write_previews(root, policies, bundles, output, args.theme, bar)
    except OSError as exc:
        raise UserError(f"无法写入预览:{exc.strerror}", where=str(exc.filename or output),
                        hint="用 -o 指定一个可写的目录") from None
    for path in written:
        print(_display(path))
    print(f"已生成 {len(written) - 1} 篇文章的预览,用浏览器打开 {_display(written[-1])}", file=sys.stderr)
    if problems:
        raise UserError(f"{len(problems)} 篇文章无法预览:\n  " + "\n  ".join(problems), hint="先运行 wxpub lint 修正这些文章")
    return ExitCode.OK
