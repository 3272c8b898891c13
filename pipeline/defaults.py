"""The default themes and word lists wxpub ships, and how a school's own files override them.

A school's content repository may hold its own `themes/<name>/` and word lists; whatever it
does not hold comes from the copy shipped with wxpub: `pipeline/default_files/` inside an
installed wheel (setup.py puts it there), or this checkout's own `themes/` and
`policies/wordlists/` when wxpub runs from source. `with_defaults` is the one lookup: every
theme and word list is read through the snapshot it returns (load_policies wraps its files
in it), so lint, render, preview, serve and publish all see the same files.

The override is per theme folder (a school's `themes/classic/` replaces the shipped classic
as a whole, template and styles together, never mixing the two) and per word-list file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipeline.snapshot import MISSING, Refused, Snapshot, WorkTree, stable_order

THEMES = PurePosixPath("themes")
WORDLISTS = PurePosixPath("policies", "wordlists")
_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "default_files"  # setup.py's TARGET


@functools.cache
def shipped_root() -> Path:
    """The folder holding the shipped `themes/` and `policies/wordlists/`: inside the installed
    package, else the checkout wxpub runs from."""
    if (_SHIPPED / THEMES).is_dir():
        return _SHIPPED
    return _PACKAGE.parent


def shipped() -> Snapshot:
    # a venv inside a school's repository is usually in its .gitignore: not a reason to refuse
    return WorkTree(shipped_root(), in_git=False)


def with_defaults(files: Snapshot) -> Snapshot:
    """`files` (a working tree or a commit's tree), with the shipped themes and word lists
    filling in what it does not hold."""
    return files if isinstance(files, Layered) else Layered(files, shipped())


def _owner_key(path: PurePosixPath) -> PurePosixPath | None:
    """The file whose presence in the school's files decides who serves `path`: a theme's
    theme.yaml for anything in its folder, the word list itself; None for every other path."""
    parts = path.parts
    if len(parts) >= 3 and PurePosixPath(parts[0]) == THEMES:
        return THEMES / parts[1] / "theme.yaml"
    if len(parts) == 3 and PurePosixPath(*parts[:2]) == WORDLISTS:
        return path
    return None


def _related(a: PurePosixPath, b: PurePosixPath) -> bool:
    """Whether one folder holds the other (or they are the same)."""
    return a == b or a in b.parents or b in a.parents


@dataclass(frozen=True)
class Layered:
    """The school's files first; the shipped defaults only for themes and word lists it lacks."""

    own: Snapshot
    defaults: Snapshot

    def _source(self, path: PurePosixPath) -> Snapshot:
        key = _owner_key(path)
        if key is None:
            return self.own
        try:
            self.own.check(key)
        except Refused as refused:
            # a symlink or a folder where the school's file should be is the school's own
            # mistake, reported as such, never papered over with the shipped copy
            return self.defaults if refused.problem == MISSING else self.own
        return self.own

    def open(self, path: PurePosixPath) -> BinaryIO:
        return self._source(path).open(path)

    def check(self, path: PurePosixPath) -> None:
        self._source(path).check(path)

    def files_under(self, folder: PurePosixPath) -> list[PurePosixPath]:
        own = self.own.files_under(folder)
        if not any(_related(folder, top) for top in (THEMES, WORDLISTS)):
            return own  # an article's folder: nothing shipped lives there
        found = set(own)
        for name in self.defaults.files_under(folder):
            full = folder / name
            if _owner_key(full) is not None and self._source(full) is self.defaults:
                found.add(name)
        return stable_order(list(found))

    def local_path(self, path: PurePosixPath) -> Path | None:
        return self._source(path).local_path(path)
