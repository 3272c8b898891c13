"""The working tree's "left out of a commit" check against git itself.

snapshot asks libgit2's ignore rules first and reads the index only for an ignored file (the
index of a big repository costs 15-30 ms to load, and lint opens files one by one), or, after
many files, the index first. In either order the answer must be git's: a file is in a commit
of this checkout exactly when `git ls-files --cached --others --exclude-standard` lists it
(tracked, or untracked and not ignored). It found that libgit2's path_is_ignored answers for a
name alone: with `*` then `!keep.jpg`, git leaves `bundle/keep.jpg` out (it never looks inside
the ignored folder `bundle/`), libgit2 said it was not ignored. Hypothesis draws the files, which of them are tracked (some past their .gitignore,
with `git add -f`) and the ignore rules, at the top and in a folder.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline import snapshot
from tests.testing.fixtures import git

NAMES = ["a.jpg", "b.jpg", "keep.jpg", "raw/c.jpg", "deep/er/d.png", "notes.tmp", "图 1.jpg", "[x].jpg", "#h.jpg",
         "raw/keep.jpg", "x/y/z.txt"]
RULES = ["*.jpg", "!keep.jpg", "raw/", "/b.jpg", "**/er/", "*.tmp", "图*", "\\#h.jpg", "[[]x].jpg", "x/", "!raw/keep.jpg",
         "deep/", "*"]


@settings(max_examples=80, deadline=None)
@example(files={"keep.jpg", "a.jpg"}, tracked=set(), top=["*", "!keep.jpg"], inner=[])  # the ignored folder
@example(files={"raw/keep.jpg", "raw/c.jpg"}, tracked={"raw/c.jpg"}, top=[], inner=["raw/", "!raw/keep.jpg"])
@given(files=st.sets(st.sampled_from(NAMES), min_size=1),
       tracked=st.sets(st.sampled_from(NAMES)),
       top=st.lists(st.sampled_from(RULES), max_size=4),
       inner=st.lists(st.sampled_from(RULES), max_size=3))
def test_left_out_of_commits_is_what_git_leaves_out(files: set[str], tracked: set[str], top: list[str],
                                                    inner: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        git(root, "init", "-q")
        for name in files:
            (root / "bundle" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "bundle" / name).write_bytes(b"x")
        forced = sorted(f"bundle/{name}" for name in files & tracked)
        if forced:
            git(root, "add", "-f", "--", *forced)  # tracked, whatever the rules say
        (root / ".gitignore").write_text("".join(f"{rule}\n" for rule in top), encoding="utf-8")
        (root / "bundle" / ".gitignore").write_text("".join(f"{rule}\n" for rule in inner), encoding="utf-8")
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                check=True, capture_output=True).stdout.decode().split("\0")
        saved = snapshot.INDEX_FIRST_AFTER
        try:
            for index_first_after in (10**9, -1):  # the ignore rules first, then the index first
                snapshot.INDEX_FIRST_AFTER = index_first_after
                snapshot._REPOSITORIES.clear()  # a new repository in a reused temporary path
                for name in files:
                    path = PurePosixPath("bundle", name)
                    assert snapshot.left_out_of_commits(root, path) == (str(path) not in listed), \
                        (name, top, inner, forced, index_first_after)
        finally:
            snapshot.INDEX_FIRST_AFTER = saved
