"""Properties of what editors write that WeChat measures (hypothesis): tables of 1 to 12
columns with any cells, long unbroken tokens anywhere, tables and code inside lists and
quotes. For every body, in every theme: the HTML passes the static `--check` rules, every
word of the source is in what the reader sees, and (in Chromium) no element sticks out of a
375 px screen, scroll boxes included, as WeChat's structure checker measures."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.content import Article, parse_article
from pipeline.policies import Policies, load_policies
from pipeline.render import render_article
from pipeline.render.check import check_html
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import ARTICLE, FRONT_MATTER, make_repo

THEMES = ("campus", "classic")
CHINESE = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=12)
# What an attacker (or a pasted log) puts where a phone has no room: one token, no space in it
LONG = st.one_of(
    st.integers(40, 300).map(lambda n: "x" * n),
    st.integers(4, 40).map(lambda n: "https://www.example.edu.cn/" + "/".join(f"p{k}" for k in range(n))),
    st.integers(40, 200).map(lambda n: "1234567890" * (n // 10)),
    st.integers(4, 30).map(lambda n: "_".join(["identifier"] * n)),
    st.integers(20, 120).map(lambda n: "中" * n),
)
WORD = st.one_of(CHINESE, st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,11}", fullmatch=True), LONG)


@st.composite
def cell(draw: st.DrawFn) -> tuple[str, str]:
    """(Markdown of one cell, the word a reader must see)."""
    word = draw(WORD)
    form = draw(st.sampled_from(("plain", "code", "strong", "link")))
    markdown = {"plain": word, "code": f"`{word}`", "strong": f"**{word}**",
                "link": f"[{word}](https://www.example.edu.cn/{len(word)})"}[form]
    return markdown, word


@st.composite
def table(draw: st.DrawFn) -> tuple[str, list[str]]:
    columns = draw(st.integers(1, 12))
    rows = draw(st.integers(0, 3))
    grid = [[draw(cell()) for _ in range(columns)] for _ in range(rows + 1)]
    rule = "|" + "|".join(draw(st.sampled_from(("---", ":---", ":---:", "---:"))) for _ in range(columns)) + "|"
    lines = ["|" + "|".join(md for md, _ in row) + "|" for row in grid]
    return "\n".join([lines[0], rule, *lines[1:]]), [word for row in grid for _, word in row]


@st.composite
def placed(draw: st.DrawFn, block: st.SearchStrategy[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """A block at the top, or inside lists and quotes 1 to 8 deep."""
    text, words = draw(block)
    for kind in reversed(draw(st.lists(st.sampled_from(("- ", "1. ", "> ")), max_size=8))):
        indent = "> " if kind == "> " else " " * len(kind)
        lines = text.split("\n")
        text = "\n".join([kind + lines[0], *(indent + line for line in lines[1:])])
    return text, words


@st.composite
def long_block(draw: st.DrawFn) -> tuple[str, list[str]]:
    word = draw(LONG)
    form = draw(st.sampled_from(("paragraph", "heading", "code", "fence", "inline")))
    text = {"paragraph": word, "heading": f"## {word}", "code": f"```python\nvalue = '{word}'\n```",
            "fence": f"```\n{word}\n```", "inline": f"前文 `{word}` 后文"}[form]
    return text, [word]


class Sample(tuple[Path, Policies]):
    def __repr__(self) -> str:
        return "<the sample repository>"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = make_repo(tmp_path_factory.mktemp("fit"))
    return Sample((root, load_policies(root)))


def rendered(sample: Sample, body: str, theme: str) -> str:
    root, policies = sample
    article = parse_article(PurePosixPath(ARTICLE), (FRONT_MATTER + "\n" + body + "\n").encode(), WorkTree(root))
    assert isinstance(article, Article), article
    return render_article(article, policies, theme=theme).content


def shown(page: str) -> str:
    """What a reader sees: the text without tags, entities decoded, no-break spaces as spaces."""
    return html.unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]+>", "", page))).replace("\xa0", " ")


def _holds(sample: Sample, body: str, words: list[str]) -> None:
    for theme in THEMES:
        page = rendered(sample, body, theme)
        assert check_html(page) == [], (theme, check_html(page))
        text = shown(page)
        assert all(word in text for word in words), (theme, [w for w in words if w not in text])


@given(block=placed(table()))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(block=("|" + "|".join(f"列{k}" for k in range(8)) + "|\n|" + "---|" * 8 + "\n|" + "短格|" * 8, [f"列{k}" for k in range(8)]))
def test_any_table_passes_the_check_and_keeps_every_cell(sample: Sample, block: tuple[str, list[str]]) -> None:
    _holds(sample, *block)


@given(block=placed(long_block()))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_long_token_passes_the_check_and_is_kept(sample: Sample, block: tuple[str, list[str]]) -> None:
    _holds(sample, *block)


# -- in the browser ---------------------------------------------------------------------------

from tests.testing.browser import browser_only, tab  # noqa: E402,F401  (tab: a fixture)


@browser_only
@given(block=st.one_of(placed(table()), placed(long_block())))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_nothing_sticks_out_of_a_phone(sample: Sample, tab: Any, block: tuple[str, list[str]]) -> None:
    from tests.test_preview_browser import OVERFLOW_JS
    for theme in THEMES:
        tab.set_content(f'<body style="margin: 0">{rendered(sample, block[0], theme)}</body>')
        result = tab.locator("body").evaluate(OVERFLOW_JS, True)
        assert not result["bad"] and result["scroll"] <= result["client"], (theme, result)


def test_a_template_that_wraps_the_body_deeper_leaves_it_less_room(sample: Sample) -> None:
    """Nesting is counted from WeChat's page, so a school's template with three more sections
    around `{{ body }}` leaves three levels less: a table three lists deep, a grid with the
    shipped template, is written row by row inside it."""
    root, policies = sample
    deep = root / "themes" / "deep"
    if not deep.exists():
        shutil.copytree(root / "themes" / "classic", deep)
        template = deep / "article.html.j2"
        template.write_text(template.read_text(encoding="utf-8").replace(
            "{{ body }}", "<section><section><section>{{ body }}</section></section></section>"), encoding="utf-8")
    body = "".join("  " * k + f"- 第{k}层 **粗体{k}**\n" for k in range(3)) + "  " * 3 + "| 甲 | 乙 |\n" + "  " * 3 + "|---|---|\n" \
        + "  " * 3 + "| 丙 | 丁 |\n"
    words = [f"第{k}层" for k in range(3)] + [f"粗体{k}" for k in range(3)] + ["甲", "乙", "丙", "丁"]
    article = parse_article(PurePosixPath(ARTICLE), (FRONT_MATTER + "\n" + body).encode(), WorkTree(root))
    assert isinstance(article, Article), article
    plain, wrapped = (render_article(article, policies, theme=theme) for theme in ("classic", "deep"))
    assert plain.flattened == () and wrapped.flattened != ()
    for result in (plain, wrapped):
        assert check_html(result.content) == [], check_html(result.content)
        assert all(word in shown(result.content) for word in words)
