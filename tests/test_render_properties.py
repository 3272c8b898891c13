"""Properties of rendering and linting any Markdown at all (hypothesis).

The golden cases show chosen inputs; here hypothesis writes the bodies: Markdown syntax in
any order, random Unicode, control, bidi and zero-width characters, deep nesting of quotes,
lists, brackets and emphasis, and tables of any shape. For every body, written to a real
bundle and loaded by the real loader: either the loader explains why it cannot read it, or
the renderer (with either shipped theme) gives HTML made only of the tags and attributes
WeChat keeps, balanced, with every image from the upload hook, and lint finishes with
findings inside the file. Nothing may raise.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import Article, LoadProblem, load_article
from pipeline.errors import UserError
from pipeline.lint.engine import lint_one
from pipeline.markdown import DROPPED_TEXT
from pipeline.policies import Policies, load_policies
from pipeline.render import render_article
from pipeline.snapshot import WorkTree
from tests.test_render_output import Hook, check_html
from tests.testing.fixtures import make_repo, write_article

PIECES = (
    "#", "## ", "###### ", "- ", "* ", "+ ", "1. ", "2) ", "> ", "```", "```python\n", "~~~", "`", "*", "_", "**", "__",
    "~~", "[", "]", "(", ")", "![", "](", "<", ">", "&", "&amp;", "&#0;", "&#x202e;", "\\", "|", "|---|", "---", "===",
    "\n", "\n\n", " ", "    ", "\t", "[^1]", "[^1]: ", "> [!WARNING]\n", "> [!NOTE]", "- [x] ", "- [ ] ", "<!--", "-->",
    "<!-- wxpub-disable LINK002: 理由 -->", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</p>",
    "javascript:alert(1)", "data:text/html,x", "https://mp.weixin.qq.com/s/abc", "http://example.com/a?b=c&d",
    "photo.jpg", "../secret.jpg", "/etc/passwd", "{{ body }}", "{% if %}", "中文", "运动会，", "江大", "a", "1",
)
HIDDEN = ("\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff",
          "\xad", "\r", "\r\n", "\x0b", "\x0c")
# Any character but NUL: hypothesis favours it, and one NUL makes the whole file binary (ART001,
# tested in test_bad_input.py), which would leave the renderer little to do.
anything = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")  # UTF-8 has no surrogates

fragments = st.one_of(st.sampled_from(PIECES), st.sampled_from(HIDDEN), anything, st.text(anything, max_size=4))
markdown = st.lists(fragments, max_size=80).map("".join)


@st.composite
def nested(draw: st.DrawFn) -> str:
    """One structure nested hundreds deep: quotes, list levels, brackets, emphasis, code spans."""
    depth = draw(st.integers(1, 400))
    inner = draw(markdown)
    shape = draw(st.sampled_from(("quote", "list", "brackets", "emphasis", "links", "backticks")))
    if shape == "quote":
        return ">" * depth + " " + inner
    if shape == "list":
        return "".join("  " * level + "- 项\n" for level in range(depth)) + inner
    if shape == "brackets":
        return "[" * depth + inner + "]" * draw(st.integers(0, depth))
    if shape == "emphasis":
        return "*" * depth + inner + "*" * draw(st.integers(0, depth))
    if shape == "links":
        return "[a](" * depth + inner + ")" * depth
    return "`" * depth + inner + "`" * draw(st.integers(0, depth))


@st.composite
def tables(draw: st.DrawFn) -> str:
    """A GFM table of up to 120 rows by 40 columns, cells holding any fragment (no line breaks)."""
    columns = draw(st.integers(1, 40))
    rows = draw(st.integers(0, 120))
    cell = fragments.map(lambda text: text.replace("\n", " ").replace("\r", " "))
    header = "|" + "|".join(draw(cell) for _ in range(columns)) + "|\n"
    rule = "|" + "|".join(draw(st.sampled_from(("---", ":--", "--:", ":-:"))) for _ in range(columns)) + "|\n"
    body = "".join("|" + "|".join(draw(cell) for _ in range(columns)) + "|\n" for _ in range(rows))
    return header + rule + body


bodies = st.one_of(markdown, nested(), tables(), st.lists(st.one_of(markdown, nested(), tables()), max_size=4).map("\n\n".join))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Policies]:
    root = make_repo(tmp_path_factory.mktemp("properties"))
    return root, load_policies(root)


def _load(root: Path, body: str) -> Article | LoadProblem:
    index = write_article(root, files={"photo.jpg": b"\xff\xd8 not really"})
    index.write_bytes(index.read_bytes() + body.encode("utf-8"))
    return load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(body=bodies, theme=st.sampled_from(("classic", "campus")))
def test_any_markdown_renders_to_allowed_html_or_is_explained(site: tuple[Path, Policies], body: str, theme: str) -> None:
    root, policies = site
    article = _load(root, body)
    if isinstance(article, LoadProblem):  # e.g. a NUL makes it binary: a finding, with its line
        assert article.code.startswith("ART") and article.message and article.line >= 1
        return
    hook = Hook()
    try:
        rendered = render_article(article, policies, image_url=hook, theme=theme)
    except UserError as refused:  # text markdown-it would drop (BODY007): refused at its line, never cut short
        assert refused.message == DROPPED_TEXT and refused.where.startswith(f"{article.path}:"), refused
        return
    checked = check_html(rendered.content)
    assert checked.problems == [], (checked.problems, body)
    assert checked.img_srcs == hook.answered


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_any_markdown_lints_to_findings_inside_the_file(site: tuple[Path, Policies], body: str) -> None:
    root, policies = site
    article = _load(root, body)
    path = PurePosixPath("content/official/publicity/2026-10-20-sports-day/index.md")
    report = lint_one(root, policies, path)
    # CommonMark ends a line at \n, \r\n or a lone \r, and so do the rules' line numbers
    lines = len(re.split(r"\r\n?|\n", (root / path).read_text(encoding="utf-8")))
    assert all(1 <= finding.line <= lines and finding.column >= 1 and finding.message for finding in report.findings), \
        (report.findings, isinstance(article, Article))


# What the properties found, kept as examples: a comment (an editor's note) that swallows the
# closing half of emphasis, strikethrough or a link left the opening tag unclosed to the end
# of the article.
@pytest.mark.parametrize(("body", "shown"), [
    ("*<!--*-->", "<em"),
    ("**运动会<!--**-->开幕", "运动会</strong>开幕"),
    ("~~旧<!--~~-->新", "旧</span>新"),
    ("*甲<!--* [链接](https://example.com/) -->乙", "甲</em>乙"),
    ("运动会 <!-- [备注](https://example.com/) --> 开幕", "运动会 开幕"),
])
def test_a_comment_never_unbalances_the_html(site: tuple[Path, Policies], body: str, shown: str) -> None:
    root, policies = site
    article = _load(root, body)
    assert isinstance(article, Article)
    html = render_article(article, policies, image_url=Hook()).content
    assert check_html(html).problems == []
    assert shown in html and "备注" not in html and "example.com" not in html
