"""A repository's files at one moment: the working tree, or the tree of one commit.

Lint reads what the editor has (the working tree); `publish --rev` reads what was merged
(the commit's tree), so a dirty or different checkout cannot change what goes out. Both
answer the same two questions the same way, and refuse the same things:

- a symlink anywhere on the path, even one pointing inside the repository: what it points
  at is decided by whoever checks the files out, not by what was reviewed;
- anything that is not a regular file (a folder, a FIFO, a submodule);
- in the working tree, a file Git leaves out of a commit (untracked and ignored): the commit
  will not hold it, so lint must not read it either.

The working tree is walked one component at a time with O_NOFOLLOW, so the check and the
read are the same system call and a link swapped in between cannot be followed.
"""

from __future__ import annotations

import errno
import io
import itertools
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

import pygit2

MISSING, SYMLINK, NOT_A_FILE, OUTSIDE, IGNORED = "missing", "symlink", "not-a-file", "outside", "ignored"


class Refused(Exception):
    """A path the snapshot will not serve; `problem` is MISSING, SYMLINK, NOT_A_FILE or OUTSIDE."""

    def __init__(self, path: PurePosixPath, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class Snapshot(Protocol):
    def __hash__(self) -> int:  # themes are cached per snapshot
        ...

    def open(self, path: PurePosixPath) -> BinaryIO:
        """A regular file's bytes (repository-relative path), or Refused."""
        ...

    def check(self, path: PurePosixPath) -> None:
        """Whether `open` would serve `path` (Refused if not), without reading its bytes."""
        ...

    def files_under(self, folder: PurePosixPath) -> list[PurePosixPath]:
        """Every file `open` would serve below `folder`, relative to it, in a stable order."""
        ...

    def local_path(self, path: PurePosixPath) -> Path | None:
        """Where the file is on disk, for fixes that rewrite it; None when it is not on disk."""
        ...


def _checked(path: PurePosixPath) -> tuple[str, ...]:
    """The components of a repository-relative path; `..` and absolute paths never get to the
    file system (os.open("..", dir_fd=...) would climb out)."""
    if path.is_absolute() or ".." in path.parts or any("\0" in part for part in path.parts):
        raise Refused(path, OUTSIDE)
    return path.parts


def stable_order(names: list[PurePosixPath]) -> list[PurePosixPath]:
    """By path components (`a/b.jpg` before `a.jpg`), the same in every snapshot kind."""
    return sorted(names, key=lambda name: name.parts)


_REPOSITORIES: dict[Path, tuple[pygit2.Repository, str]] = {}


def _repository(root: Path) -> tuple[pygit2.Repository, str] | None:
    """The Git repository whose working tree holds `root` (None outside one), and `root`'s path
    inside it ("" at its top, else ending in /). Opened once per root (lint asks for every
    file it opens); "no repository" is not remembered, since one may be made later."""
    if root in _REPOSITORIES:
        return _REPOSITORIES[root]
    try:
        found = pygit2.discover_repository(str(root))
        repo = pygit2.Repository(found) if found else None
        if repo is None or repo.workdir is None:
            return None
        inside = root.resolve().relative_to(Path(repo.workdir).resolve()).as_posix()
    except (pygit2.GitError, ValueError, OSError):
        return None
    if len(_REPOSITORIES) >= 16:
        _REPOSITORIES.clear()
    _REPOSITORIES[root] = repo, "" if inside == "." else inside + "/"
    return _REPOSITORIES[root]


def _not_ignored(root: Path, folder: PurePosixPath, names: list[PurePosixPath]) -> list[PurePosixPath]:
    """`names` (below `folder`) without the files Git would leave out of a commit: untracked and
    matched by .gitignore or info/exclude. The article is what a commit of this checkout holds,
    so a `.DS_Store` Finder dropped into the folder is no part of it (lint would call a
    published article edited while the publisher, reading the commit, finds it unchanged)."""
    found = _repository(root)
    if found is None or not names:
        return names
    repo, inside = found
    kept = []
    for name in names:
        if _in_commits(repo, f"{inside}{folder / name}"):
            kept.append(name)
    return kept


# Which question to ask first. Both orders give the same answer (tests/test_snapshot_ignored.py);
# they differ in cost. libgit2's ignore rules take 15-120 us a file, the index ~1 us once it is
# loaded, but loading it takes 15-30 ms at 20,000 entries. A pull request's check opens ~40
# files: the ignore rules first, and the index only for an ignored file. A full lint opens 3-4
# per article: after this many questions in one process, the index first.
INDEX_FIRST_AFTER = 200
_asked = itertools.count(1)


def _in_commits(repo: pygit2.Repository, relative: str) -> bool:
    """Tracked, or not ignored."""
    try:
        if next(_asked) <= INDEX_FIRST_AFTER:
            return not _ignored(repo, relative) or relative in _index(repo)
    except UnicodeEncodeError:  # a name that is not UTF-8: libgit2's ignore check takes only text, the index bytes
        pass
    return relative in _index(repo) or not _ignored(repo, relative)


def _ignored(repo: pygit2.Repository, relative: str) -> bool:
    """Whether the ignore rules leave `relative` out: itself, or a folder above it. git never
    looks inside an ignored folder, so `*` then `!keep.jpg` leaves out `folder/keep.jpg`;
    libgit2's path_is_ignored answers for the name alone and says it is not ignored."""
    if repo.path_is_ignored(relative):
        return True
    parts = relative.rstrip("/").split("/")
    return any(repo.path_is_ignored("/".join(parts[:depth]) + "/") for depth in range(1, len(parts)))


def _index(repo: pygit2.Repository) -> pygit2.Index:
    index: pygit2.Index = repo.index
    index.read(False)  # again if git changed it since (a test, an editor's `git add`)
    return index


def staged_bytes(root: Path, path: PurePosixPath, most: int) -> bytes | None:
    """Up to `most` + 1 bytes of the regular file Git's index holds at `path` (below `root`),
    None when it holds none: what Git itself reads a .gitattributes from when it writes a
    checkout, which the working tree's copy need not be (pipeline/gitattributes.py)."""
    found = _repository(root)
    if found is None:
        return None
    repo, inside = found
    try:
        entry = _index(repo)[f"{inside}{path}"]
    except (KeyError, UnicodeEncodeError):
        return None
    if entry.mode not in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
        return None  # a symlink, which Git does not read as attributes either
    blob = repo[entry.id].peel(pygit2.Blob)
    return b"\0" * (most + 1) if blob.size > most else blob.data


def left_out_of_commits(root: Path, path: PurePosixPath) -> bool:
    """Whether Git leaves `path` (a file or folder below `root`) out of a commit of this
    checkout: untracked and ignored. Folders are asked for with a trailing slash, as Git
    matches `dir/` patterns."""
    return not _not_ignored(root, PurePosixPath(), [path])


@dataclass(frozen=True)
class WorkTree:
    """The files on disk below `root` (the repository's root folder). `in_git=False` for files
    no checkout owns (wxpub's own shipped themes and word lists, wherever pip put them): Git's
    ignore rules of a repository that happens to enclose them decide nothing."""

    root: Path
    in_git: bool = True

    def open(self, path: PurePosixPath) -> BinaryIO:
        fd = self._open_fd(_checked(path), directory=False)
        if self.in_git and left_out_of_commits(self.root, path):
            os.close(fd)
            raise Refused(path, IGNORED)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise Refused(path, NOT_A_FILE)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def check(self, path: PurePosixPath) -> None:
        self.open(path).close()  # opening reads nothing

    def files_under(self, folder: PurePosixPath) -> list[PurePosixPath]:
        try:
            fd = self._open_fd(_checked(folder), directory=True)
        except Refused:
            return []
        found: list[PurePosixPath] = []
        try:
            # fwalk on a descriptor opened without following links never enters a linked folder
            for top, _dirs, files, top_fd in os.fwalk(".", dir_fd=fd, follow_symlinks=False):
                for name in files:
                    info = os.stat(name, dir_fd=top_fd, follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode):
                        found.append(PurePosixPath(top, name))
        finally:
            os.close(fd)
        return stable_order(_not_ignored(self.root, folder, found) if self.in_git else found)

    def local_path(self, path: PurePosixPath) -> Path | None:
        return self.root.joinpath(*path.parts)

    def _open_fd(self, parts: tuple[str, ...], *, directory: bool) -> int:
        """A descriptor for root/parts, refusing symlinks on the way (O_NOFOLLOW at each step).
        O_NONBLOCK: opening a FIFO must not wait for a writer; the caller checks the type."""
        path = PurePosixPath(*parts) if parts else PurePosixPath(".")
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            raise Refused(path, MISSING) from None
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
                if not last or directory:
                    flags |= os.O_DIRECTORY
                try:
                    child = os.open(part, flags, dir_fd=fd)
                except OSError as exc:
                    raise Refused(path, _problem(exc, fd, part)) from None
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd


def _problem(exc: OSError, dir_fd: int, name: str) -> str:
    if exc.errno == errno.ENOENT:
        return MISSING
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        # ELOOP: a link met with O_NOFOLLOW; ENOTDIR: a link or a file where a folder should be
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return MISSING
        return SYMLINK if stat.S_ISLNK(info.st_mode) else MISSING
    return NOT_A_FILE


@dataclass(frozen=True)
class CommitTree:
    """The files of one commit's tree (the repository root's tree), read through pygit2."""

    tree: pygit2.Tree

    def open(self, path: PurePosixPath) -> BinaryIO:
        return io.BytesIO(self._blob(path).peel(pygit2.Blob).data)

    def check(self, path: PurePosixPath) -> None:
        # a blob's bytes are copied on reading: checking a 20 MB video named 2,000 times in the
        # body must not copy 40 GB (it once held the publisher for minutes)
        self._blob(path)

    def _blob(self, path: PurePosixPath) -> pygit2.Object:
        entry = self._entry(path)
        if entry.filemode not in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
            raise Refused(path, NOT_A_FILE)
        return entry

    def files_under(self, folder: PurePosixPath) -> list[PurePosixPath]:
        try:
            start = self._entry(folder) if folder.parts else self.tree
        except Refused:
            return []
        if start.type_str != "tree":
            return []
        found: list[PurePosixPath] = []
        stack: list[tuple[pygit2.Tree, PurePosixPath]] = [(start.peel(pygit2.Tree), PurePosixPath())]
        while stack:
            tree, prefix = stack.pop()
            for item in tree:
                name = prefix / str(item.name)
                if item.filemode == pygit2.enums.FileMode.TREE:
                    stack.append((item.peel(pygit2.Tree), name))
                elif item.filemode in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
                    found.append(name)
        return stable_order(found)

    def local_path(self, path: PurePosixPath) -> Path | None:
        return None

    def _entry(self, path: PurePosixPath) -> pygit2.Object:
        current: pygit2.Object = self.tree
        for part in _checked(path):
            if current.filemode == pygit2.enums.FileMode.LINK:
                raise Refused(path, SYMLINK)
            if current.type_str != "tree":
                raise Refused(path, MISSING)
            try:
                current = current.peel(pygit2.Tree)[part]
            except KeyError:
                raise Refused(path, MISSING) from None
        if current.filemode == pygit2.enums.FileMode.LINK:
            raise Refused(path, SYMLINK)
        return current


@dataclass(frozen=True)
class NoFiles:
    """Nothing: for an index.md whose bytes came from elsewhere (the forge's contents API)."""

    def open(self, path: PurePosixPath) -> BinaryIO:
        raise Refused(path, MISSING)

    def check(self, path: PurePosixPath) -> None:
        raise Refused(path, MISSING)

    def files_under(self, folder: PurePosixPath) -> list[PurePosixPath]:
        return []

    def local_path(self, path: PurePosixPath) -> Path | None:
        return None
