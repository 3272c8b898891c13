"""Findings cache: an article whose files, policy and wxpub are unchanged costs a hash.

An entry holds one article's lint report (findings, suppressions, what they silenced),
filed under the sha256 of:

- the run: the cache format, wxpub's own source files (every file of the package, so an
  edited rule is a new run even without a new version number), the versions of Python and
  of the libraries whose answers become findings, the loaded policy (its repr holds every
  limit, rule and word of every word list, with the lines they are on), every file under
  themes/ (the render rule renders with them) and under policies/ (a .gitattributes there is ART005);
- the article: its path (the path decides account and department) and everything its
  folder holds, as lint can see it: each entry's name and kind, a regular file's bytes, a
  symlink's target, and which entries Git leaves out of a commit (ignored and untracked: the
  working tree refuses those, so a .gitignore or `git add` outside the folder changes findings);
  and the `.gitattributes` of each folder above it, which can make its checkout differ from the
  commit (ART005, pipeline/gitattributes.py).

Where: `<root>/.wxpub-cache/lint.sqlite` (or `--cache-dir`), a folder holding a `.gitignore`
of `*` so it never shows in `git status`; CI keeps the folder between runs (actions/cache).
A `.wxpub-cache` that the checked-out commit holds is never read: a pull request could
commit entries forged for its own articles (their keys are computable from public files).
One SQLite file, not a file per article: creating and renaming 10,000 small files costs
0.7-1 ms each on this machine's disk, a third of a cold lint; the rows of a run go in one
transaction, so a run that dies leaves the cache as it was.
`--no-cache` turns it off; `--fix` never uses it (a fix changes the files).

For CI (actions/cache): the path to keep is `.wxpub-cache` in the repository's root; the
workflow's cache key decides only which old file is restored, never what an entry may answer
for (each entry's own key does), so any key works and a stale file costs misses. The inputs
above are all file contents and versions, except that the policy's repr also holds the
absolute paths of the repository and of wxpub's shipped files: restored into a checkout at
another path (another runner's workspace, a moved clone), every entry misses, none is wrong.

Trust: an entry is used only if it parses, is of this format, names its own key and article,
has exactly the fields `put` writes and every value has its type; anything else (a truncated
row, a row copied from another key, a file that is not a database) is a miss, never a pass. The article is hashed
before and after it is linted and the entry is written only if both agree (a file saved
mid-lint is not filed under what it no longer is). A file that is not a database is
ignored when read and replaced when written. Writes are not synced to disk: a power cut may
lose or damage the last rows, and a damaged row fails the checks above (a row that survives
whole answers for its own key, which names every input, so it is still the truth). Whoever can write the cache folder can still make a pull
request's lint report less than the truth (a well-formed forged entry cannot be told from
a real one without a secret, and CI's cache is written by CI's own runs); the publisher never reads the cache: it lints
the merged commit afresh (pipeline/publish.py calls lint_article), so promise one does not
rest on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from pipeline.gitattributes import attribute_files_above
from pipeline.lint.model import Finding, LintReport, Severity, Suppression
from pipeline.policies import Policies
from pipeline.snapshot import left_out_of_commits

CACHE_DIR = ".wxpub-cache"
FORMAT = 1
# Libraries whose behaviour shows in findings (parsing, typography, images, schema, YAML, rendering)
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "autocorrect-py", "pillow", "jsonschema", "pyyaml",
              "ahocorasick-rs", "jinja2", "pygments")
_PACKAGE = Path(__file__).resolve().parents[1]
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class FindingsCache:
    database: Path  # an SQLite file of (key, entry) rows
    run: str  # digest of everything but the article

    @classmethod
    def open(cls, root: Path, policies: Policies, folder: Path | None = None) -> FindingsCache | None:
        """The cache in `folder` (default: <root>/.wxpub-cache); None when the default folder is
        part of the checked-out commit: a pull request could carry entries forged for its own
        articles, so a committed cache is never read."""
        if folder is None and _committed(root, CACHE_DIR):
            print(f"提示:{CACHE_DIR}/ 被提交进了仓库,不使用其中的检查结果缓存;请从仓库中删除它(git rm -r --cached {CACHE_DIR})",
                  file=sys.stderr)
            return None
        base = folder if folder is not None else root / CACHE_DIR
        return cls(base / "lint.sqlite", _run_digest(root, policies))

    def key(self, root: Path, path: PurePosixPath) -> str | None:
        """The entry key for the article at `path`; None when its folder cannot be described
        (a symlink on the way, not a folder, unreadable): such an article is always linted."""
        described = _folder_entries(root, path.parent)
        if described is None:
            return None
        # Whether Git leaves each entry out of a commit (ignored and untracked): the working tree
        # refuses such a file (LINK001), and a .gitignore or `git add` elsewhere can change that
        left_out = [name for name in _names(described) if left_out_of_commits(root, path.parent / name)]
        # the .gitattributes of the folders above it can make its checkout differ from the commit (ART005)
        above = [f"{name}\0{_file_entry(root, name)}\0{left_out_of_commits(root, name)}"
                 for name in attribute_files_above(path.parent)]
        folder = hashlib.sha256("\n".join([*described, *above]).encode("utf-8", "surrogateescape")).hexdigest()
        return hashlib.sha256(f"{self.run}\0{path}\0{folder}\0{left_out}".encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, wanted: Mapping[str, PurePosixPath]) -> dict[str, LintReport]:
        """The reports filed under the keys of `wanted` (key -> article path) that can be trusted."""
        if not wanted or not self.database.is_file():
            return {}
        found: dict[str, LintReport] = {}
        try:
            with closing(sqlite3.connect(f"{self.database.as_uri()}?mode=ro", uri=True)) as db:
                for key, path in wanted.items():
                    row = db.execute("SELECT entry FROM entries WHERE key = ?", (key,)).fetchone()
                    report = _trusted(row[0], key, str(path)) if row and isinstance(row[0], str) else None
                    if report is not None:
                        found[key] = report
        except sqlite3.Error:
            return found  # not a cache we can read: lint the rest
        return found

    def put(self, reports: Mapping[str, LintReport]) -> None:
        """File the reports, in one transaction (all or none of them)."""
        if not reports:
            return
        try:
            self.database.parent.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(self.database.parent)
            for attempt in (1, 2):
                try:
                    with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
                        # No fsync (20-45 ms a run on this disk, a tenth of a pull request's check):
                        # a cache may lose its last rows. SQLite stays consistent if wxpub dies; if
                        # the machine does, a damaged file is a miss (see Trust above), not a pass
                        db.execute("PRAGMA synchronous=OFF")
                        db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, entry TEXT NOT NULL)")
                        db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", _rows(reports))
                    return
                except sqlite3.DatabaseError:
                    if attempt == 2:
                        raise
                    self.database.unlink(missing_ok=True)  # not a database (corrupt): start a new one
        except (OSError, sqlite3.Error):
            pass  # a read-only or full disk costs speed next time, never a result


def _committed(root: Path, name: str) -> bool:
    """Whether the checked-out commit holds `name` in `root` (True when that cannot be told)."""
    import pygit2

    try:
        found = pygit2.discover_repository(str(root))
        if not found:
            return False
        repo = pygit2.Repository(found)
        if repo.head_is_unborn or repo.workdir is None:
            return False
        inside = root.resolve().relative_to(Path(repo.workdir).resolve()).as_posix()
        repo.head.peel(pygit2.Commit).tree[name if inside == "." else f"{inside}/{name}"]
    except KeyError:
        return False
    except (pygit2.GitError, ValueError, OSError):
        return True
    return True


def _rows(reports: Mapping[str, LintReport]) -> list[tuple[str, str]]:
    """(key, entry) for each report that is text SQLite can store (a path that is not UTF-8,
    read from disk as lone surrogates, is reported on every run instead)."""
    rows = []
    for key, report in reports.items():
        entry = json.dumps(_entry(key, report), ensure_ascii=False)
        try:
            entry.encode("utf-8")
        except UnicodeEncodeError:
            continue
        rows.append((key, entry))
    return rows


def _ignore_in_git(folder: Path) -> None:
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# wxpub's findings cache (see pipeline/lint/cache.py)\n*\n", encoding="utf-8")


def _run_digest(root: Path, policies: Policies) -> str:
    digest = hashlib.sha256(f"format {FORMAT}\0{sys.version}\0".encode())
    versions = library_versions()
    for name in _LIBRARIES:
        digest.update(f"{name} {versions[name]}\0".encode())
    digest.update(_tree_digest(_PACKAGE, skip=("__pycache__",)).encode())
    digest.update(repr(policies).encode("utf-8", "surrogateescape"))
    digest.update((_tree_digest(root / "themes") or "no themes").encode())
    # the repr above holds the word lists as read, not a policies/.gitattributes that converts them (ART005)
    digest.update((_tree_digest(root / "policies") or "no policies folder").encode())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """The installed version of each library in _LIBRARIES ("-" when it is not installed).

    Read from the names of the `NAME-VERSION.dist-info` folders pip installs (the wheel format
    spells them so), the first one on sys.path as import finds it: one listing per sys.path
    folder. importlib.metadata answers the same, but importing it (email, zipfile, csv) and
    parsing each METADATA file costs 20-60 ms, a tenth of a pull request's check; it is asked
    only for a library installed some other way (an .egg-info)."""
    wanted = {_normalised(name): name for name in _LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info"):
                name, _, version = folder[:-len(".dist-info")].rpartition("-")
                library = wanted.get(_normalised(name))
                if library is not None and version:
                    found.setdefault(library, version)
    missing = [name for name in _LIBRARIES if name not in found]
    if missing:
        from importlib import metadata

        for name in missing:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = "-"
    return found


def _normalised(name: str) -> str:
    """A distribution's name as PEP 503 compares them: case and runs of -_. do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _tree_digest(top: Path, skip: tuple[str, ...] = ()) -> str:
    """Names, kinds and bytes of everything below `top` (a symlink is described, not followed);
    "" when `top` is not a folder (or is a symlink to one)."""
    try:
        fd = os.open(top, _FOLDER)
    except OSError:
        return ""
    try:
        return _digest_of(fd, skip)
    except OSError as exc:  # a folder below that cannot be listed: lint cannot read it either
        return f"unreadable {exc.errno}"
    finally:
        os.close(fd)


def _digest_of(fd: int, skip: tuple[str, ...] = ()) -> str:
    entries: list[str] = []
    _describe_folder(fd, "", skip, entries)
    return hashlib.sha256("\n".join(sorted(entries)).encode("utf-8", "surrogateescape")).hexdigest()


def _describe_folder(fd: int, prefix: str, skip: tuple[str, ...], entries: list[str]) -> None:
    """One line per entry below the open folder `fd`. Kinds come from the directory listing
    itself and files are opened relative to their folder's descriptor, without following links:
    a cold lint describes every article twice, so no call is spent that is not needed."""
    with os.scandir(fd) as listing:
        found = list(listing)
    for entry in found:
        name = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if entry.name in skip:
                continue
            entries.append(f"{name}\0dir")
            try:
                child = os.open(entry.name, _FOLDER, dir_fd=fd)
            except OSError as exc:
                entries.append(f"{name}/\0unreadable {exc.errno}")
                continue
            try:
                _describe_folder(child, f"{name}/", skip, entries)
            finally:
                os.close(child)
        else:
            entries.append(f"{name}\0{_describe(entry, fd)}")


def _folder_entries(root: Path, folder: PurePosixPath) -> list[str] | None:
    """What lint can see of an article folder, one sorted line per entry, or None when a
    component of its path is not a plain folder (lint then reports a symlink or a missing
    file, and that is not cached)."""
    if folder.is_absolute() or ".." in folder.parts:
        return None
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        for part in folder.parts:  # each step refuses a symlink, as the working tree's reads do
            child = os.open(part, _FOLDER, dir_fd=fd)
            os.close(fd)
            fd = child
        entries: list[str] = []
        _describe_folder(fd, "", (), entries)
        return sorted(entries)
    except OSError:
        return None
    finally:
        os.close(fd)


def _file_entry(root: Path, path: PurePosixPath) -> str:
    """A regular file's bytes below `root`, as _describe says them, or why there are none (a
    component missing or a symlink, which the working tree refuses): opened without listing
    its folder, which for a department's folder would be a listing per article."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        return f"unreadable {exc.errno}"
    try:
        for part in path.parent.parts:
            child = os.open(part, _FOLDER, dir_fd=fd)
            os.close(fd)
            fd = child
        with os.fdopen(os.open(path.name, _READ, dir_fd=fd), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return "other"
            return "file " + hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:  # ENOENT: not there; ELOOP/ENOTDIR: a symlink on the way
        return f"unreadable {exc.errno}"
    finally:
        os.close(fd)


def _names(entries: list[str]) -> list[str]:
    return [line.split("\0", 1)[0].rstrip("/") for line in entries]


def _describe(entry: os.DirEntry[str], folder_fd: int) -> str:
    try:
        if entry.is_symlink():
            return "link " + os.readlink(entry.name, dir_fd=folder_fd)
        if not entry.is_file(follow_symlinks=False):
            return f"other {stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode)}"
        fd = os.open(entry.name, _READ, dir_fd=folder_fd)
    except OSError as exc:
        return f"unreadable {exc.errno}"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return "other"  # swapped since it was listed
        return "file " + hashlib.file_digest(handle, "sha256").hexdigest()


# The entry: plain JSON, read back into the same frozen values or refused

def _entry(key: str, report: LintReport) -> dict[str, Any]:
    return {"format": FORMAT, "key": key,
            "findings": [_finding_out(f) for f in report.findings],
            "suppressions": [_suppression_out(s) for s in report.suppressions],
            "suppressed": [[_finding_out(f), _suppression_out(s)] for f, s in report.suppressed]}


def _finding_out(f: Finding) -> dict[str, Any]:
    return {"path": f.path, "line": f.line, "column": f.column, "code": f.code, "message": f.message,
            "severity": f.severity.value if f.severity else None, "regulation": f.regulation, "binding": f.binding}


def _suppression_out(s: Suppression) -> dict[str, Any]:
    return {"path": s.path, "line": s.line, "codes": list(s.codes), "reason": s.reason, "scope": s.scope,
            "suppressed": s.suppressed}


def _trusted(text: str, key: str, path: str) -> LintReport | None:
    """The report in an entry, or None when anything about it is not as written by `put`."""
    try:
        return _report(json.loads(text), key, path)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


_ENTRY_KEYS = {"format", "key", "findings", "suppressions", "suppressed"}
_FINDING_KEYS = {"path", "line", "column", "code", "message", "severity", "regulation", "binding"}
_SUPPRESSION_KEYS = {"path", "line", "codes", "reason", "scope", "suppressed"}


def _shaped(value: Any, keys: set[str]) -> dict[str, Any]:
    """`value` if it is an object with exactly these keys (as `put` writes them)."""
    if type(value) is not dict or set(value) != keys:
        raise ValueError("not an entry as written by this cache")
    return value


def _report(entry: Any, key: str, path: str) -> LintReport | None:
    entry = _shaped(entry, _ENTRY_KEYS)
    if entry["format"] != FORMAT or entry["key"] != key:
        return None
    findings = tuple(_finding_in(f, path) for f in _typed(entry["findings"], list))
    suppressions = tuple(_suppression_in(s, path) for s in _typed(entry["suppressions"], list))
    suppressed = tuple((_finding_in(f, path), _suppression_in(s, path)) for f, s in _typed(entry["suppressed"], list))
    return LintReport(findings, suppressions, 1, (), suppressed)


def _typed(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise TypeError(f"{value!r} is not {kind.__name__}")
    return value


def _finding_in(raw: Any, path: str) -> Finding:
    raw = _shaped(raw, _FINDING_KEYS)
    if _typed(raw["path"], str) != path:
        raise ValueError("an entry about another article")
    severity = raw["severity"]
    return Finding(path, _typed(raw["line"], int), _typed(raw["column"], int), _typed(raw["code"], str),
                   _typed(raw["message"], str), None if severity is None else Severity(_typed(severity, str)),
                   _typed(raw["regulation"], str), _typed(raw["binding"], bool))


def _suppression_in(raw: Any, path: str) -> Suppression:
    raw = _shaped(raw, _SUPPRESSION_KEYS)
    if _typed(raw["path"], str) != path:
        raise ValueError("an entry about another article")
    codes = tuple(_typed(code, str) for code in _typed(raw["codes"], list))
    return Suppression(path, _typed(raw["line"], int), codes, _typed(raw["reason"], str), _typed(raw["scope"], str),
                       _typed(raw["suppressed"], int))
