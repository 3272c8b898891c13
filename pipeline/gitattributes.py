"""Git attributes that make a checkout differ from the commit (lint's ART005), or that make
GitHub hide a change from the reviewers who approve it (ART006: hiding_of).

Lint reads the editor's checkout (CI's too); the publisher reads the blobs of the merged
commit. Git converts between the two wherever a committed `.gitattributes` asks it to, with no
configuration of the machine's own:

- `working-tree-encoding=X` writes text in X (index.md as UTF-7 or UTF-16 on disk, UTF-8 in the
  commit: lint saw `+jWaNOw-` where the publisher read 赌博);
- `eol=crlf` writes CRLF, into a picture too when the pattern reaches one (`* eol=crlf`);
- `ident` writes `$Id: <blob id> $` for `$Id$`;
- `filter=NAME` runs a driver where the machine defines one (Git LFS defines `lfs` for every
  repository of a user who installed it) and changes nothing where none is defined, as on CI:
  one editor's checkout differs, another's does not.

Rather than doing Git's conversions again (they depend on Git's version, iconv and the
machine's configuration: a second reading of the bundle that could only approximate Git's),
lint reports each line that asks for one as a binding error, from the working tree and from
the commit alike (the `.gitattributes` files are in the commit too), so the publisher refuses
what lint refuses and lint's other findings are about the bytes published. No article needs
such a conversion: index.md is UTF-8 with any line ends, pictures are bytes. The other
attributes (`text`, `text=auto`, `eol=lf`, `crlf`, `diff`, `merge`, ...) leave the bytes as
committed without the machine's own settings (core.autocrlf on Windows writes CRLF, which
every reader of index.md takes as LF).

Lines are found without matching their patterns against file names (that would be a second
matcher beside Git's): every `.gitattributes` from the repository's root down to the article
folder, inside it, and inside `policies/` and `themes/` (the word lists and templates lint
judges every article by) is read, and each line that sets one of these attributes, for any
pattern, or defines a macro `[attr]name` that does, is reported with its file and line. A
line meant for files outside `content/` belongs in a `.gitattributes` of their own folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterator

from pipeline.snapshot import Refused, Snapshot, WorkTree, staged_bytes

ATTRIBUTES_FILE = ".gitattributes"
MAX_ATTRIBUTES_BYTES = 1024 * 1024  # a real one is a few hundred bytes; Git itself reads up to 100 MB
# Folders every article's lint reads besides its own (policies.yaml sits in the root, whose
# .gitattributes is read for every article anyway): word lists and themes. Git converting
# them on checkout makes lint judge by other words or another template than the publisher.
SHARED_FOLDERS = (PurePosixPath("policies"), PurePosixPath("themes"))
FIX_IN_BUNDLE = "删除这一行(文章目录中的文件不需要这类属性)"
FIX_ABOVE = "删除这一行;若它是为 content/ 以外的文件写的,请把它移到那些文件所在目录的 .gitattributes 中"
FIX_SHARED = "删除这一行(词表、策略和主题文件不需要这类属性)"


@dataclass(frozen=True)
class Conversion:
    """A `.gitattributes` line that makes Git write files on checkout other than the commit
    holds them (`token` "" when the file is too big to be read through), or, `hides`, one that
    makes GitHub leave the files' changes out of a pull request's diff (lint's ART006)."""

    path: PurePosixPath  # the .gitattributes, repository-relative
    line: int
    token: str  # the attribute as written, e.g. working-tree-encoding=UTF-7
    effect: str  # what Git does with it on checkout, or GitHub in a diff (Chinese)
    fix: str  # what to do (Chinese): depends on whose files the line is for
    hides: bool = False  # GitHub hides the change from reviewers; the bytes stay as committed


def attribute_files_above(folder: PurePosixPath) -> list[PurePosixPath]:
    """The `.gitattributes` Git reads for the files of `folder` from the folders above it, root
    first (the lint cache describes these too: they change findings without changing the folder)."""
    return [PurePosixPath(*folder.parts[:depth]) / ATTRIBUTES_FILE for depth in range(len(folder.parts))]


def conversions(snapshot: Snapshot, folder: PurePosixPath) -> list[Conversion]:
    """Every line of a `.gitattributes` that converts on checkout and can reach a file lint
    reads for the article in `folder`: its own files, the policy, word lists and themes."""
    found: list[Conversion] = []
    for path in attribute_files_above(folder):
        if _may_exist(snapshot, path):
            found.extend(_converting_lines(snapshot, path, FIX_ABOVE))
    for path in _inside(snapshot, folder):
        found.extend(_converting_lines(snapshot, path, FIX_IN_BUNDLE))
    for shared in SHARED_FOLDERS:
        for path in _inside(snapshot, shared):
            found.extend(_converting_lines(snapshot, path, FIX_SHARED))
    return found


def _inside(snapshot: Snapshot, folder: PurePosixPath) -> list[PurePosixPath]:
    """The `.gitattributes` files `folder` holds, at any depth and in any case (on a Mac's or a
    Windows PC's file system `.GitAttributes` is the folder's .gitattributes). On disk the names
    are looked at first: the snapshot's listing asks Git about every file (~150 us an article)."""
    local = snapshot.local_path(folder)
    if local is not None and not any(name.lower() == ATTRIBUTES_FILE for name in _names_below(str(local))):
        return []
    return [folder / name for name in snapshot.files_under(folder) if name.name.lower() == ATTRIBUTES_FILE]


def _names_below(folder: str) -> Iterator[str]:
    """The name of every entry below `folder` on disk, not entering linked folders."""
    try:
        with os.scandir(folder) as entries:
            below = []
            for entry in entries:
                yield entry.name
                if entry.is_dir(follow_symlinks=False):
                    below.append(entry.path)
    except OSError:  # not there, or not a folder: nothing below it
        return
    for path in below:
        yield from _names_below(path)


def _may_exist(snapshot: Snapshot, path: PurePosixPath) -> bool:
    """False when the file is certainly not there (one stat on disk; the snapshot's own walk,
    which refuses symlinks, costs five opens): most folders have no .gitattributes."""
    local = snapshot.local_path(path)
    return local is None or os.path.lexists(local)


def effect_of(token: str) -> str:
    """What one attribute of a `.gitattributes` line makes Git do on checkout (Chinese), or ""
    when it leaves the file's bytes as the commit holds them."""
    if token.startswith(("-", "!")):  # unset or unspecified
        return ""
    name, has_value, value = token.partition("=")
    if name == "working-tree-encoding":
        return f"检出时把文件改写为 {value or '另一种'} 编码"
    if name == "eol" and value.lower() == "crlf":
        return "检出时把换行改写为 CRLF(图片等文件也会被改坏)"
    if name == "ident":
        return "检出时把 $Id$ 改写为文件的编号"
    if name == "filter" and has_value:
        return f"检出时由过滤器 {value} 改写文件(如 Git LFS;没有定义它的电脑和 CI 上则不改写)"
    return ""


def hiding_of(token: str) -> str:
    """What one attribute makes GitHub do with a file in a pull request's "Files changed"
    (Chinese), or "" when it shows the change. Reviewers approve the diff they are shown: GitHub
    collapses `linguist-generated` files by default (GitHub Docs, "Customizing how changed files
    appear on GitHub"), and shows no change of a file Git treats as binary (`-diff`, `binary`)."""
    name, _, value = token.partition("=")
    if token in ("-diff", "binary"):
        return "让 GitHub 把文件当作二进制文件,合并请求中不显示它的改动"
    if name == "linguist-generated" and value.lower() in ("", "true"):
        return "让 GitHub 把文件当作自动生成的文件,合并请求中默认折叠它的改动"
    return ""


# Raster image formats a bundle's pictures come in (pipeline/media.py): Git already treats their
# bytes as binary, so `binary` / `-diff` on them changes no diff, and GitHub shows them as images
# (2-up, swipe, onion skin: GitHub Docs, "Working with non-code files") either way. SVG is text.
IMAGE_SUFFIXES = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "webp"})


def attribute_tokens(line: str) -> list[str]:
    """The attributes of one `.gitattributes` line (after its pattern, which may be quoted),
    or [] for a blank line or a comment."""
    return _split(line)[1]


def _split(line: str) -> tuple[str, list[str]]:
    """A line's pattern as written (quotes kept) and its attributes; ("", []) for a blank line
    or a comment."""
    text = line.strip()
    if not text or text.startswith("#"):
        return "", []
    if text.startswith('"'):  # a C-style quoted pattern, which may hold spaces
        end, escaped = 1, False
        while end < len(text) and (escaped or text[end] != '"'):
            escaped = not escaped and text[end] == "\\"
            end += 1
        return text[:end + 1], text[end + 1:].split()
    pattern, *tokens = text.split()
    return pattern, tokens


def only_images(pattern: str) -> bool:
    """Whether a pattern can only name raster image files: its last part is `*.<suffix>` (Git
    matches attribute patterns against files only, never a folder's contents). A root line
    `*.jpg binary`, as GitHub's own line-ending guide suggests, hides nothing from reviewers."""
    stem, dot, suffix = pattern.rpartition("/")[2].partition(".")
    return stem == "*" and dot == "." and suffix.lower() in IMAGE_SUFFIXES


def _converting_lines(snapshot: Snapshot, path: PurePosixPath, fix: str) -> list[Conversion]:
    """The lines of the file as the snapshot serves it and, in a working tree, as Git's index
    holds it: Git reads a checkout's attributes from the index, and a line such as
    `* working-tree-encoding=UTF-7` re-encodes the .gitattributes it is in on disk (`=` is
    written `+AD0-`), where the index keeps it readable."""
    try:
        with snapshot.open(path) as handle:
            texts = [handle.read(MAX_ATTRIBUTES_BYTES + 1)]
    except Refused:  # not there, a symlink (which Git does not read either), or left out of commits
        return []
    # Git's index is asked only where the working tree has the file: a pull request's check then
    # loads no index (15-30 ms at 20,000 files) for the usual repository without .gitattributes
    if isinstance(snapshot, WorkTree) and snapshot.in_git:
        staged = staged_bytes(snapshot.root, path, MAX_ATTRIBUTES_BYTES)
        if staged is not None:
            texts.append(staged)
    found: dict[Conversion, None] = {}
    for raw in texts:
        if len(raw) > MAX_ATTRIBUTES_BYTES:
            found[Conversion(path, 1, "", f"超过 {MAX_ATTRIBUTES_BYTES // 1024} KB,无法确认其中没有改写检出文件的属性",
                             "请把它精简到只剩需要的几行")] = None
            continue
        for number, line in enumerate(raw.decode("utf-8", "replace").split("\n"), start=1):
            pattern, tokens = _split(line)
            for token in tokens:
                effect = effect_of(token)
                if effect:
                    found[Conversion(path, number, token, effect, fix)] = None
                hidden = hiding_of(token)
                if hidden and not (token in ("-diff", "binary") and only_images(pattern)):
                    found[Conversion(path, number, token, hidden, fix, hides=True)] = None
    return list(found)
