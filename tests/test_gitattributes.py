"""Lint on a checkout judges the bytes the publisher reads from the commit (ART005).

A committed `.gitattributes` can make Git write an article's files on checkout other than the
commit holds them (pipeline/gitattributes.py). For any article text and any attribute line, in
the bundle, above it, through a macro or beside the word lists and themes, a real `git clone`
is linted as CI lints it, and the commit as the publisher lints it: either both report the
line (ART005, binding), or the checkout holds the commit's bytes, file for file (the
article's, the policy's, the word lists' and the themes'), and the two reports are the same.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import load_article
from pipeline.gitattributes import IMAGE_SUFFIXES, SHARED_FOLDERS, attribute_tokens, effect_of, only_images
from pipeline.lint.engine import lint_article, lint_one
from pipeline.lint.model import LintReport
from pipeline.policies import Policies, load_policies
from pipeline.snapshot import CommitTree
from tests.testing.fixtures import ARTICLE, empty_repo, git, jpeg_bytes, make_repo, write_article

BUNDLE = PurePosixPath(ARTICLE).parent

# Every state of the attributes that decide a file's bytes on checkout, and neighbours that do not
ATTRIBUTES = (
    "working-tree-encoding=UTF-7", "working-tree-encoding=UTF-16", "working-tree-encoding=UTF-16LE-BOM",
    "working-tree-encoding=GBK", "eol=crlf", "text eol=crlf", "text=auto eol=crlf", "-text eol=crlf", "ident",
    "filter=undefined-driver", "filter=lfs", "text", "text=auto", "eol=lf", "-text", "binary", "diff=undefined-driver",
    "crlf", "crlf=input", "-crlf", "-ident", "!eol", "-working-tree-encoding", "linguist-generated", "merge=union",
)
PATTERNS = ("index.md", "*.md", "*", "*.jpg", "**/index.md", '"index.md"', "cover.*", "img/**", "photo.jpg")
PLACES = ("bundle", "root", "account", "department", "subfolder", "macro", "wordlists", "themes")
WORDS = ("赌博", "运动会", "$Id$", "$Id: x $", "学校", "abc", "12", "，", "。", " ", "\n", "\r\n", "\n\n")


def attributes_for(place: str, pattern: str, attributes: str) -> dict[PurePosixPath, str]:
    """The .gitattributes files (path, text) that put `attributes` on `pattern` from `place`."""
    if place == "macro":  # a macro may be defined only at the root, and used anywhere
        return {PurePosixPath(".gitattributes"): f"[attr]wxpub-test {attributes}\n",
                BUNDLE / ".gitattributes": f"{pattern} wxpub-test\n"}
    folder = {"bundle": BUNDLE, "root": PurePosixPath(), "account": PurePosixPath("content/official"),
              "department": BUNDLE.parent, "subfolder": BUNDLE / "img",
              "wordlists": PurePosixPath("policies/wordlists"), "themes": PurePosixPath("themes/classic")}[place]
    return {folder / ".gitattributes": f"# {place}\n{pattern} {attributes}\n"}


def commit(root: Path, paths: list[str], message: str) -> None:
    git(root, "add", "--", *paths)
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def lint_both(checkout: Path, policies: Policies) -> tuple[LintReport, LintReport]:
    """(lint of the checkout, as CI runs it; lint of the commit, as the publisher runs it)."""
    on_disk = lint_one(checkout, policies, PurePosixPath(ARTICLE))
    tree = pygit2.Repository(str(checkout)).head.peel(pygit2.Commit).tree
    in_commit = lint_article(load_article(CommitTree(tree), PurePosixPath(ARTICLE)), policies)
    return on_disk, in_commit


def reported(report: LintReport) -> list[str]:
    return [f.message for f in report.findings if f.code == "ART005"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Policies]:
    root = make_repo(tmp_path_factory.mktemp("attributes"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the school")
    return root, load_policies(root)


def clone_with(source: Path, body: str, files: dict[PurePosixPath, str]) -> Path:
    """The article committed as UTF-8, then the .gitattributes committed, then a fresh clone:
    the checkout a pull request's CI job (or a reviewer) gets."""
    empty_repo(source)
    for left in (*source.glob("policies/**/.gitattributes"), *source.glob("themes/**/.gitattributes")):
        left.unlink()
    git(source, "add", "-A")  # the last example's .gitattributes out of the index too: Git reads it there
    write_article(source, body=body, files={"img/photo.jpg": jpeg_bytes(60, 40)})  # $Id$ or CRLF could hit it too
    commit(source, ["content"], "the article")
    for path, text in files.items():  # stored as written: `git add` would apply them to themselves
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(text.encode("utf-8"))
        blob = subprocess.run(["git", "-C", str(source), "hash-object", "-w", "--no-filters", "--stdin"],
                              input=text.encode("utf-8"), capture_output=True, check=True).stdout.decode().strip()
        git(source, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    git(source, "commit", "-q", "-m", "the attributes")
    checkout = Path(tempfile.mkdtemp(dir=source.parent)) / "checkout"
    done = subprocess.run(["git", "clone", "-q", str(source), str(checkout)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return checkout


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map("".join),
       attributes=st.sampled_from(ATTRIBUTES), pattern=st.sampled_from(PATTERNS), place=st.sampled_from(PLACES))
def test_lint_on_a_checkout_judges_the_commit_or_names_the_attribute(source: tuple[Path, Policies], body: str,
                                                                      attributes: str, pattern: str, place: str) -> None:
    root, policies = source
    files = attributes_for(place, pattern, attributes)
    checkout = clone_with(root, "正文：" + body + "\n", files)
    try:
        on_disk, in_commit = lint_both(checkout, policies)
        assert reported(on_disk) == reported(in_commit)  # the same lines, read from the checkout and the commit
        if reported(on_disk):
            for message in reported(on_disk):  # each names a file and line that holds such an attribute
                where = message.split(" ", 1)[0]
                path, _, line = where.rpartition(":")
                text = files[PurePosixPath(path)].split("\n")[int(line) - 1]
                assert any(effect_of(token) for token in attribute_tokens(text)), (message, text)
            assert all(f.severity and f.severity.value == "error" for f in on_disk.findings if f.code == "ART005")
            return
        tree = pygit2.Repository(str(checkout)).head.peel(pygit2.Commit).tree
        for folder in (BUNDLE, *SHARED_FOLDERS):  # not reported: what lint reads is the commit, byte for byte
            for name in CommitTree(tree).files_under(folder):
                assert (checkout / folder / name).read_bytes() == tree[str(folder / name)].data, (name, attributes)
        assert (checkout / "policies.yaml").read_bytes() == tree["policies.yaml"].data
        assert on_disk.findings == in_commit.findings
    finally:
        shutil.rmtree(checkout.parent)


def test_each_converting_attribute_really_changes_the_checkout(source: tuple[Path, Policies]) -> None:
    """The neighbour of the property: what ART005 reports is what Git really converts on a
    plain clone (no local configuration), so the rule is not wider than it says, except for
    `filter`, which converts only where the machine defines the driver."""
    root, policies = source
    body = "正文：学校$Id$\n"
    for attributes in ("working-tree-encoding=UTF-7", "eol=crlf", "ident"):
        checkout = clone_with(root, body, {BUNDLE / ".gitattributes": f"index.md {attributes}\n"})
        tree = pygit2.Repository(str(checkout)).head.peel(pygit2.Commit).tree
        assert (checkout / ARTICLE).read_bytes() != tree[ARTICLE].data, attributes
        assert len(reported(lint_both(checkout, policies)[0])) == 1
        shutil.rmtree(checkout.parent)


def test_an_undefined_filter_changes_nothing_on_ci_but_is_reported(source: tuple[Path, Policies]) -> None:
    """A `filter` driver no configuration defines is skipped by Git (the checkout is the blob),
    as on CI; on an editor's machine that defines it (Git LFS defines `lfs`) it converts. Lint
    cannot know which machine it runs on, so it reports the line everywhere."""
    root, policies = source
    checkout = clone_with(root, "正文：学校\n", {BUNDLE / ".gitattributes": "* filter=lfs diff=lfs merge=lfs -text\n"})
    tree = pygit2.Repository(str(checkout)).head.peel(pygit2.Commit).tree
    assert (checkout / ARTICLE).read_bytes() == tree[ARTICLE].data
    on_disk, in_commit = lint_both(checkout, policies)
    [message] = reported(on_disk)
    assert message.startswith(f"{BUNDLE}/.gitattributes:1 的 `filter=lfs` ") and "Git LFS" in message
    assert reported(in_commit) == [message]
    shutil.rmtree(checkout.parent)


@pytest.mark.parametrize(("line", "tokens"), [
    ("", []),
    ("# index.md ident", []),
    ("index.md ident", ["ident"]),
    ("  *.md\ttext   eol=crlf  \r", ["text", "eol=crlf"]),
    ('"with space.md" ident', ["ident"]),
    ('"with \\" quote.md" working-tree-encoding=UTF-16', ["working-tree-encoding=UTF-16"]),
    ("[attr]wx ident -text", ["ident", "-text"]),
])
def test_attribute_lines_are_read_as_git_reads_them(line: str, tokens: list[str]) -> None:
    assert attribute_tokens(line) == tokens


def test_a_waiver_or_a_policy_cannot_silence_it(source: tuple[Path, Policies], tmp_path: Path) -> None:
    """ART005 is binding: a wxpub-disable comment and `rules: {ART005: {severity: off}}` leave it an error."""
    root, _ = source
    policy = (root / "policies.yaml").read_text(encoding="utf-8") + "rules:\n  ART005: {severity: off}\n"
    if "\nrules:" in (root / "policies.yaml").read_text(encoding="utf-8"):
        policy = (root / "policies.yaml").read_text(encoding="utf-8").replace("\nrules:\n", "\nrules:\n  ART005: {severity: off}\n", 1)
    repo = make_repo(tmp_path, policies=policy)
    write_article(repo, body="<!-- wxpub-disable-file ART005: 需要 -->\n正文：学校。\n")
    (repo / BUNDLE / ".gitattributes").write_text("index.md ident\n", encoding="utf-8")
    report = lint_one(repo, load_policies(repo), PurePosixPath(ARTICLE))
    assert [(f.code, f.severity and f.severity.value) for f in report.findings if f.code == "ART005"] == [("ART005", "error")]


def test_a_word_list_converted_on_checkout_is_reported_for_every_article(source: tuple[Path, Policies]) -> None:
    """The word lists are read from the checkout too: `* working-tree-encoding=UTF-7` beside them
    leaves lint (with the checkout's policy) blind to 赌博, which the publisher's policy, read
    from the commit, finds. The line is ART005 on the article."""
    root, policies = source
    checkout = clone_with(root, "正文：现场有人组织赌博。\n",
                          {PurePosixPath("policies/wordlists/.gitattributes"): "* working-tree-encoding=UTF-7\n"})
    on_disk = lint_one(checkout, load_policies(checkout), PurePosixPath(ARTICLE))
    codes = {f.code for f in on_disk.findings}
    assert "WORD001" not in codes  # what the converted word list misses
    assert "ART005" in codes and "policies/wordlists/.gitattributes:1 " in reported(on_disk)[0]
    _, in_commit = lint_both(checkout, policies)
    assert {"ART005", "WORD001"} <= {f.code for f in in_commit.findings}
    shutil.rmtree(checkout.parent)


@pytest.mark.parametrize(("attributes", "hidden"), [
    ("-diff", True), ("binary", True), ("linguist-generated", True), ("linguist-generated=true", True),
    ("linguist-generated=True", True), ("linguist-generated=false", False), ("-linguist-generated", False),
    ("diff", False), ("diff=undefined-driver", False), ("linguist-vendored", False), ("-text", False),
])
@pytest.mark.parametrize("place", ["bundle", "root", "macro", "wordlists"])
def test_a_line_that_hides_the_article_from_reviewers_on_github_is_art006(
        source: tuple[Path, Policies], attributes: str, hidden: bool, place: str) -> None:
    """Reviewers approve the diff GitHub shows them: a `linguist-generated` file is collapsed by
    default, a `-diff` or `binary` one shows no change at all. The bytes are the commit's (not
    ART005), but an article nobody was shown would go out on their approval: ART006, binding,
    from the checkout and the commit alike (the publisher refuses it too)."""
    root, policies = source
    checkout = clone_with(root, "正文：学校。\n", attributes_for(place, "*", attributes))
    try:
        on_disk, in_commit = lint_both(checkout, policies)
        found = [(f.code, f.severity and f.severity.value) for f in on_disk.findings if f.code == "ART006"]
        assert found == ([("ART006", "error")] if hidden else []), on_disk.findings
        assert [f.message for f in in_commit.findings if f.code == "ART006"] == \
               [f.message for f in on_disk.findings if f.code == "ART006"]
        assert not reported(on_disk)  # nothing converted on checkout
        if hidden:
            [message] = [f.message for f in on_disk.findings if f.code == "ART006"]
            assert f"`{attributes}`" in message and "审核人" in message
    finally:
        shutil.rmtree(checkout.parent)


@pytest.mark.parametrize(("line", "hidden"), [
    ("*.jpg binary", False), ("*.JPG -diff", False), ("*.png binary -delta", False), ("content/**/*.jpeg binary", False),
    ("/*.gif -diff", False), ("*.webp binary", False),
    ("*.svg binary", True),  # SVG is text: its change would be hidden
    ("*.md binary", True), ("*.jpg.md binary", True), ("*.jp* binary", True), ("* binary", True),
    ("*.jpg/ binary", True), ('"*.jpg" binary', True),  # no need to read these narrowly
    ("*.jpg linguist-generated", True),  # GitHub collapses an image's change too
])
def test_a_root_line_marking_images_binary_hides_no_change_and_stops_nothing(
        source: tuple[Path, Policies], line: str, hidden: bool) -> None:
    """GitHub's own line-ending guide suggests a root `*.jpg binary`: ART006 read every such line
    as hiding every article, so a school that followed it could publish nothing. Git already
    treats a photo's bytes as binary, and GitHub shows images as images: only a line that can
    reach a text file (or collapses a change, linguist-generated) hides anything."""
    root, policies = source
    checkout = clone_with(root, "正文：学校。\n", {PurePosixPath(".gitattributes"): line + "\n"})
    try:
        on_disk, in_commit = lint_both(checkout, policies)
        assert ("ART006" in {f.code for f in on_disk.findings}) == hidden, (line, on_disk.findings)
        assert ("ART006" in {f.code for f in in_commit.findings}) == hidden, (line, in_commit.findings)
    finally:
        shutil.rmtree(checkout.parent)


SEGMENT = st.text(alphabet="ab*?[]!-./\\\"", min_size=0, max_size=6)  # a space would end the pattern


@settings(max_examples=60, deadline=None)
@given(folders=st.lists(SEGMENT, max_size=3),
       suffix=st.sampled_from(sorted(IMAGE_SUFFIXES)).flatmap(
           lambda s: st.sampled_from([s, s.upper(), s.title()])),
       text_name=st.sampled_from(["index.md", "notes.txt", "a.svg", "index.md.bak", "jpg", "jpg.md", "x.jpg.md"]))
def test_a_pattern_read_as_only_images_never_reaches_a_text_file_as_git_matches_it(
        folders: list[str], suffix: str, text_name: str) -> None:
    """The narrowing is Git's matching, not ours: whatever folders precede `*.<image suffix>`
    (globs, `!`, quotes, backslashes, spaces), Git applies the line to no text file."""
    pattern = "/".join([*folders, f"*.{suffix}"])
    assert only_images(pattern)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, "init", "-q")
        (repo / ".gitattributes").write_text(f"{pattern} binary\n", encoding="utf-8")
        paths = [f"{text_name}", f"content/a/{text_name}", f"content/a/b/{text_name}"]
        answer = subprocess.run(["git", "-C", str(repo), "-c", "core.ignorecase=true", "check-attr", "binary", "--",
                                 *paths], capture_output=True, text=True, check=False)
        if answer.returncode:  # a pattern Git will not read applies to nothing
            return
        assert all(line.endswith(": unspecified") for line in answer.stdout.splitlines()), (pattern, answer.stdout)
