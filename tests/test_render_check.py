"""`wxpub render --check`: every shipped theme renders every sample article to HTML that meets
WeChat's article structure spec, each rule catches its bad case and passes its clean one, and
the command exits 1 with the rule codes on stderr when a theme breaks the spec."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import pytest

from pipeline.cli import main
from pipeline.content import Article, find_bundles, load_article
from pipeline.policies import load_policies
from pipeline.render import render_article
from pipeline.render.check import (
    DARK_BG, DARK_TEXT, RGBA, DarkState, check_html, contrast, dark_background, dark_state, dark_text, hex_color,
    parse, parse_color, parse_style,
)
from pipeline.render.themes import available
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import PROJECT, make_repo, write_article

THEMES = available(WorkTree(PROJECT))
ARTICLES = [str(bundle) for bundle in find_bundles(PROJECT, None)]


def _color(text: str) -> RGBA:
    color = parse_color(text)
    assert color is not None, text
    return color


def _article(bundle: str) -> Article:
    loaded = load_article(WorkTree(PROJECT), PurePosixPath(bundle))
    assert isinstance(loaded, Article), loaded
    return loaded


# -- (a) every theme, every sample article ------------------------------------------------------

def test_there_are_themes_and_articles_to_hold() -> None:
    assert {"classic", "campus"} <= set(THEMES)
    assert len(ARTICLES) >= 10


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("bundle", ARTICLES)
def test_every_theme_renders_every_sample_article_to_spec(theme: str, bundle: str) -> None:
    rendered = render_article(_article(bundle), load_policies(PROJECT), theme=theme)
    assert check_html(rendered.content) == []


# -- (b) one bad and one clean case per rule ----------------------------------------------------

NESTED = "<section>" * 11 + "<span>内容</span>" + "</section>" * 11
RULE_CASES = [
    # STRUCT001 well-formed: unclosed and misplaced tags
    ("STRUCT001", "<section><p>文字</section>", "<section><p>文字</p></section>"),
    ("STRUCT001", "<p>文字<section>块</section></p>", "<section><p>文字</p><section>块</section></section>"),
    ("STRUCT001", "<section>文字</span></section>", "<section><span>文字</span></section>"),
    ("STRUCT001", "<ul><p>项</p></ul>", "<ul><li>项</li></ul>"),
    ("STRUCT001", "<section/>文字", "<section></section>文字"),
    # STRUCT002 only the tags WeChat keeps
    ("STRUCT002", "<div>文字</div>", "<section>文字</section>"),
    ("STRUCT002", "<p>上<sub>下</sub></p>", "<p>上<sup>下</sup></p>"),
    # STRUCT003 only style, href (http/https on <a>), src/alt on <img>, start on <ol>
    ("STRUCT003", '<p class="lead">文字</p>', '<p style="margin: 0">文字</p>'),
    ("STRUCT003", '<p id="x">文字</p>', "<p>文字</p>"),
    ("STRUCT003", '<p onclick="go()">文字</p>', "<p>文字</p>"),
    ("STRUCT003", '<a href="javascript:void(0)">链接</a>', '<a href="https://mp.weixin.qq.com/s/abc">链接</a>'),
    ("STRUCT003", '<span alt="说明">文字</span>', '<img src="a.jpg" alt="说明">'),
    ("STRUCT003", '<ul start="3"><li>项</li></ul>', '<ol start="3"><li>项</li></ol>'),
    # STRUCT004 no font-family at all
    ("STRUCT004", '<p style="font-family: serif">文字</p>', '<p style="font-weight: bold">文字</p>'),
    # STRUCT005 no !important
    ("STRUCT005", '<p style="color: #333333 !important">文字</p>', '<p style="color: #333333">文字</p>'),
    # STRUCT006 text-align start/end
    ("STRUCT006", '<p style="text-align: start">文字</p>', '<p style="text-align: left">文字</p>'),
    ("STRUCT006", '<p style="text-align: END">文字</p>', '<p style="text-align: right">文字</p>'),
    # STRUCT007 fixed widths that do not fit the 375 px screen (max-width only caps: fine)
    ("STRUCT007", '<section style="width: 500px">文字</section>', '<section style="width: 100%">文字</section>'),
    ("STRUCT007", '<section style="min-width: 400px">文字</section>', '<section style="max-width: 800px">文字</section>'),
    ("STRUCT007", '<section style="width: 40em">文字</section>', '<section style="width: 300px">文字</section>'),
    ("STRUCT007", '<section style="margin-left: 294pt">文字</section>', '<section style="margin-left: 16px">文字</section>'),
    ("STRUCT007", '<table><tr><td style="width: 200px">一</td><td style="width: 200px">二</td></tr></table>',
     '<table><tr><td style="width: 50%">一</td><td style="width: 50%">二</td></tr></table>'),
    # STRUCT008 line-height below the font size, on text (image-only boxes are exempt)
    ("STRUCT008", '<p style="font-size: 16px; line-height: 0.8">文字</p>', '<p style="font-size: 16px; line-height: 1">文字</p>'),
    ("STRUCT008", '<p style="font-size: 16px; line-height: 12px">文字</p>', '<p style="font-size: 16px; line-height: 16px">文字</p>'),
    ("STRUCT008", '<p style="font-size: 16px; line-height: 90%">文字</p>', '<p style="font-size: 16px; line-height: 150%">文字</p>'),
    ("STRUCT008", '<section style="line-height: 20px"><p style="font-size: 28px">大字</p></section>',
     '<section style="line-height: 1.5"><p style="font-size: 28px">大字</p></section>'),
    ("STRUCT008", '<section style="line-height: 0">第一行<br>第二行</section>',
     '<section style="line-height: 0"><img src="a.jpg"></section>'),
    # STRUCT009 height: 0 around text
    ("STRUCT009", '<section style="height: 0px"><p>看不见的文字</p></section>',
     '<section style="height: 0"><img src="a.jpg"></section>'),
    # STRUCT010 a fixed height around text clips it; scroll containers are exempt
    ("STRUCT010", '<section style="height: 100px; overflow: hidden"><p>文字</p></section>',
     '<section style="height: 100px; overflow-y: auto"><p>文字</p></section>'),
    # STRUCT011 <pre> for prose
    ("STRUCT011", "<pre><span>这是一段普通的正文内容，不应该使用 pre 标签包裹。</span></pre>",
     "<pre><code>print(max(nums) - min(nums))</code></pre>"),
    ("STRUCT011", "<pre><code>这是一段没有语言标记的代码块，里面写的却是很长的一段中文正文。</code></pre>",
     "<pre><code># 求最大值与最小值之差<br>print(max(nums) - min(nums))</code></pre>"),
    # STRUCT012 more than 10 same-tag, same-style single-child levels
    ("STRUCT012", NESTED, "<section>" * 10 + "<span>内容</span>" + "</section>" * 10),
    # STRUCT012 any element at WeChat's level 15 (its container is 1, a top-level element 2), tags mixed
    ("STRUCT012", "<section><blockquote>" * 7 + "文字" + "</blockquote></section>" * 7,
     "<section><blockquote>" * 6 + "<section>文字</section>" + "</blockquote></section>" * 6),
    # STRUCT011 a pre that cannot wrap, with a line wider than a phone; or one that wraps, but
    # only at spaces, with a run that has none (&nbsp; is not a place to break)
    ("STRUCT011", '<pre style="white-space: nowrap"><code>' + "total = total + 1; " * 4 + "</code></pre>",
     '<pre style="white-space: normal; overflow-wrap: anywhere"><code>' + "total = total + 1; " * 4 + "</code></pre>"),
    ("STRUCT011", '<pre style="white-space: pre-wrap"><code>' + "total&nbsp;=&nbsp;total&nbsp;+&nbsp;1;" * 4 + "</code></pre>",
     '<pre style="white-space: pre-wrap"><code>' + "total = total + 1; " * 4 + "</code></pre>"),
    # STRUCT013 contrast (more in the dark-mode tests below)
    ("STRUCT013", '<p style="color: #ffffff; background-color: #ffeb3b">看不清</p>',
     '<p style="color: #ffffff; background-color: #1f8a5b">看得清</p>'),
    # STRUCT014 a gradient behind text (a gradient alone is fine)
    ("STRUCT014", '<section style="background-image: linear-gradient(#ffffff, #1f8a5b)">文字</section>',
     '<section style="background-image: linear-gradient(#ffffff, #1f8a5b)"><br></section>'),
    # STRUCT015 opacity 0
    ("STRUCT015", '<img src="a.jpg" style="opacity: 0">', '<img src="a.jpg" style="opacity: 0.8">'),
    # STRUCT016 a transparent caret
    ("STRUCT016", '<p style="caret-color: rgba(0, 0, 0, 0)">文字</p>', '<p style="caret-color: #333333">文字</p>'),
]


def test_every_rule_has_a_case() -> None:
    assert {code for code, _, _ in RULE_CASES} == {f"STRUCT{n:03}" for n in range(1, 17)}


@pytest.mark.parametrize(("code", "bad", "good"), RULE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RULE_CASES)])
def test_rule_flags_bad_and_passes_clean(code: str, bad: str, good: str) -> None:
    problems = check_html(bad)
    assert {p.rule for p in problems} == {code}, problems
    assert all(p.message and p.snippet for p in problems)
    assert check_html(good) == []


def test_nesting_counts_only_same_style_levels() -> None:
    mixed = "<section>" * 6 + '<section style="margin: 0">' * 5 + "<span>内容</span>" + "</section>" * 11
    assert check_html(mixed) == []
    assert [p.rule for p in check_html(NESTED)] == ["STRUCT012"]


def test_messages_are_chinese_and_say_how_to_fix() -> None:
    [problem] = check_html('<p style="font-family: serif">文字</p>')
    assert "theme.yaml" in problem.message and "删除" in problem.message
    assert problem.snippet == "font-family: serif"


def test_style_parsing_does_not_split_inside_urls_or_quotes() -> None:
    declarations = parse_style("background: url(data:image/png;base64,AA:BB); content: 'a;b'; color: red; junk; :x")
    assert [(d.prop, d.value) for d in declarations] == [
        ("background", "url(data:image/png;base64,AA:BB)"), ("content", "'a;b'"), ("color", "red")]
    [important] = parse_style("COLOR: #333 ! important")
    assert (important.prop, important.value, important.important) == ("color", "#333", True)


def test_colours_parse_in_every_css_form() -> None:
    assert parse_color("#abc") == (170, 187, 204, 1.0)
    assert _color("#1f8a5b80")[3] == pytest.approx(128 / 255)
    assert parse_color("rgb(31, 138, 91)") == (31, 138, 91, 1.0)
    assert parse_color("rgba(0 0 0 / 50%)") == (0, 0, 0, 0.5)
    assert hex_color(_color("hsl(0, 100%, 50%)")) == "#ff0000"
    assert hex_color(_color("white")) == "#ffffff"
    assert parse_color("currentColor") is None and parse_color("#12") is None


# -- (c) dark mode ----------------------------------------------------------------------------

def test_dark_mode_follows_wechat_conversion() -> None:
    """mp-darkmode's anchors: white pages go to #191919, default text to #a3a3a3, light greys invert."""
    white, black = (255.0, 255.0, 255.0, 1.0), (0.0, 0.0, 0.0, 1.0)
    assert hex_color(dark_background(white, DARK_BG)) == "#191919"
    assert hex_color(dark_text(black, DARK_BG)) == "#a3a3a3"
    assert hex_color(dark_background(_color("#f7f7f7"), DARK_BG)) == "#212121"
    assert contrast(white, black) == pytest.approx(21)
    assert contrast(DARK_TEXT, DARK_BG) > 6


def test_dark_mode_flags_a_pair_that_only_fails_in_dark_mode() -> None:
    """Dark purple on green reads fine in light mode (4.07), but the green's perceived brightness
    is 99.8, just under the 100 that makes WeChat darken text, so it lightens the text instead
    and the two end up at 1.16."""
    html = '<p style="color: #551166; background-color: #00aa00">活动报名</p>'
    assert contrast(_color("#551166"), _color("#00aa00")) > 4
    state = dark_state(parse(html).elements[0], DarkState())
    assert state.text is not None and state.background is not None
    assert contrast(state.text, state.background) < 1.5
    [problem] = check_html(html)
    assert problem.rule == "STRUCT013" and "深色模式" in problem.message


def test_dark_mode_passes_a_readable_pair_and_inherits_through_children() -> None:
    assert check_html('<p style="color: #ffffff; background-color: #1f8a5b">看得清</p>') == []
    # the text takes the colour and background of its ancestors
    bad = '<section style="background-color: #00aa00"><section style="color: #551166"><span>活动</span></section></section>'
    assert [p.rule for p in check_html(bad)] == ["STRUCT013"]
    good = '<section style="background-color: #00aa00"><section style="color: #ffffff"><span>活动</span></section></section>'
    assert check_html(good) == []


def test_wechat_low_contrast_example_is_flagged() -> None:
    """The spec's own low-contrast fixture (issue 12): white text on a light green gradient."""
    html = ('<section style="background: linear-gradient(to right,#4dbb6c,#b8ee84); padding: 7px 20px">'
            '<section style="font-size: 16px; color: #ffffff; text-align: center"><strong>时逢夏至，万物丰盈</strong>'
            "</section></section>")
    assert {p.rule for p in check_html(html)} == {"STRUCT013", "STRUCT014"}


# -- (d) the command ----------------------------------------------------------------------------

def test_render_check_exits_0_for_a_sample_article(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = PROJECT / ARTICLES[0]
    assert main(["--root", str(PROJECT), "render", str(bundle.parent), "--check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<section") and "STRUCT" not in captured.err


def _repo_with_bad_theme(tmp_path: Path) -> tuple[Path, Path]:
    root = make_repo(tmp_path)
    shutil.copytree(root / "themes" / "classic", root / "themes" / "bad")
    theme_file = root / "themes" / "bad" / "theme.yaml"
    text = theme_file.read_text(encoding="utf-8")
    bad = text.replace('p: "margin: 0 0 16px 0; text-align: justify"',
                       'p: "margin: 0 0 16px 0; text-align: justify; font-family: SimSun"')
    assert bad != text
    theme_file.write_text(bad, encoding="utf-8")
    return root, write_article(root)


def test_render_check_exits_1_with_codes_when_the_theme_breaks_the_spec(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = _repo_with_bad_theme(tmp_path)
    assert main(["--root", str(root), "render", str(index), "--check", "--theme", "bad"]) == 1
    captured = capsys.readouterr()
    assert "<section" in captured.out  # the HTML is still written
    lines = [line for line in captured.err.splitlines() if "STRUCT" in line]
    assert lines and all(line.startswith("content/official/publicity/2026-10-20-sports-day/index.md: STRUCT004 ")
                         for line in lines)
    assert "(font-family: SimSun)" in lines[0]
    # the shipped theme is clean for the same article
    assert main(["--root", str(root), "render", str(index), "--check"]) == 0


def test_render_check_writes_the_file_and_still_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = _repo_with_bad_theme(tmp_path)
    out = tmp_path / "out" / "article.html"
    assert main(["--root", str(root), "render", str(index), "--theme", "bad", "--check", "-o", str(out)]) == 1
    assert "font-family: SimSun" in out.read_text(encoding="utf-8")
    assert "STRUCT004" in capsys.readouterr().err


def test_render_without_check_ignores_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = _repo_with_bad_theme(tmp_path)
    assert main(["--root", str(root), "render", str(index), "--theme", "bad"]) == 0
    assert "STRUCT" not in capsys.readouterr().err
