"""What `render_article` hands WeChat, checked as HTML rather than as text.

Every sample article under content/ and every golden case, rendered with every theme, must
parse (stdlib html.parser) into only the tags and attributes WeChat keeps, balanced; nothing
active (script, event handlers, javascript: URLs, class, id) may survive anywhere; the
image_url hook must have produced every <img>; and the content must stay under WeChat's
draft limits (< 20,000 characters and < 1 MB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import pytest

from pipeline.content import Article, find_bundles, load_article
from pipeline.policies import load_policies
from pipeline.render import RenderedArticle, render_article
from pipeline.render.html import ImageSource
from pipeline.render.themes import available
from pipeline.snapshot import WorkTree
from pipeline.textcount import count_chars
from tests.test_render_golden import CASES, GOLDEN, render_markdown
from tests.testing.fixtures import PROJECT

ALLOWED_TAGS = frozenset({
    "section", "p", "span", "strong", "em", "a", "img", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "code", "sup", "figure", "figcaption",
})
VOID_TAGS = frozenset({"img", "br"})
# What a browser would push out of an open <p> (it closes the paragraph first): never inside one
BLOCK_TAGS = frozenset({"section", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "pre",
                        "figure"})
ATTRIBUTES = {"style": None, "href": {"a"}, "src": {"img"}, "alt": {"img"}, "start": {"ol"}}  # None: any tag
CLICKABLE = re.compile(r"^https?://mp\.weixin\.qq\.com(/|$)")
RAW_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
WECHAT_MAX_CHARS = 20_000  # draft/add: content < 20,000 characters and < 1 MB
WECHAT_MAX_BYTES = 1024 * 1024
THEMES = available(WorkTree(PROJECT))
SAMPLES = [str(p) for p in find_bundles(PROJECT)]


@dataclass
class Checked:
    problems: list[str] = field(default_factory=list)
    img_srcs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, name, value)


class AllowedHtml(HTMLParser):
    """Collects every way the HTML strays from what WeChat keeps."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Checked()
        self.stack: list[str] = []

    def problem(self, message: str) -> None:
        self.result.problems.append(f"{message} (line {self.getpos()[0]})")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.tags.append(tag)
        if tag not in ALLOWED_TAGS:
            self.problem(f"tag <{tag}>")
        if tag in BLOCK_TAGS and "p" in self.stack:
            self.problem(f"<{tag}> inside <p>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problem(f"<{tag}> repeats an attribute: {names}")
        for name, value in attrs:
            value = value or ""
            self.result.attributes.append((tag, name, value))
            allowed_on = ATTRIBUTES.get(name, set())
            if allowed_on is not None and tag not in allowed_on:
                self.problem(f"attribute {name}= on <{tag}>")
            elif name == "href" and not CLICKABLE.match(value):
                self.problem(f"href {value!r} is not an mp.weixin.qq.com article")
            elif name == "start" and not value.isdigit():
                self.problem(f"start={value!r}")
        if tag == "img":
            self.result.img_srcs.append(dict(attrs).get("src") or "")
            if set(names) != {"src", "alt", "style"}:
                self.problem(f"<img> with attributes {names}")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problem(f"self-closing <{tag}/>")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            self.problem(f"end tag </{tag}> of a void element")
        elif not self.stack:
            self.problem(f"</{tag}> closes nothing")
        elif self.stack[-1] != tag:
            self.problem(f"</{tag}> closes <{self.stack[-1]}> (open: {self.stack})")
        else:
            self.stack.pop()

    def handle_comment(self, data: str) -> None:
        self.problem(f"comment <!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.problem(f"declaration <!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.problem(f"processing instruction <?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.problem(f"declaration <![{data}]>")


def check_html(html: str) -> Checked:
    parser = AllowedHtml()
    parser.feed(html)
    parser.close()
    if parser.stack:
        parser.problem(f"never closed: {parser.stack}")
    # The raw text too, whatever html.parser made of it: every '<' + letter starts an allowed tag
    for _, name in RAW_TAG.findall(html):
        if name.lower() not in ALLOWED_TAGS:
            parser.problem(f"raw <{name}")
    return parser.result


class Hook:
    """An image_url hook that remembers what it was asked and what it answered."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answered: list[str] = []

    def __call__(self, image: ImageSource) -> str:
        url = f"https://mmbiz.qpic.cn/mmbiz_jpg/sample/{len(self.asked)}/0"
        self.asked.append(image.name)
        self.answered.append(url)
        return url


def render_sample(path: str, theme: str, hook: Hook | None = None) -> RenderedArticle:
    article = load_article(WorkTree(PROJECT), PurePosixPath(path))
    assert isinstance(article, Article), article
    return render_article(article, load_policies(PROJECT), image_url=hook or Hook(), theme=theme)


def test_there_is_something_to_check() -> None:
    assert len(SAMPLES) == 16 and THEMES == ["campus", "classic"]
    assert len(CASES) >= 15 and "xss" in CASES


# -- the sample articles ----------------------------------------------------------------------

@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("path", SAMPLES)
def test_sample_renders_to_allowed_balanced_html(path: str, theme: str) -> None:
    checked = check_html(render_sample(path, theme).content)
    assert checked.problems == []
    assert checked.tags[0] == "section"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("path", SAMPLES)
def test_image_hook_makes_every_img_and_images_lists_the_bundle_files(path: str, theme: str) -> None:
    hook = Hook()
    rendered = render_sample(path, theme, hook)
    checked = check_html(rendered.content)
    assert checked.img_srcs == hook.answered  # one hook call per <img>, its answer as the src, in order
    source = (PROJECT / path).read_text(encoding="utf-8")
    bundle = (PROJECT / path).parent
    assert list(rendered.images) == sorted(set(hook.asked), key=hook.asked.index)  # in order, no duplicates
    assert list(rendered.images) == sorted(rendered.images, key=source.index)  # in the order written
    assert all((bundle / name).is_file() for name in rendered.images)
    assert rendered.cover not in rendered.images or f"]({rendered.cover})" in source


def test_sample_images_are_all_found() -> None:
    """The samples show 11 body images in 9 articles; every one is listed, by its file name."""
    found = {path: render_sample(path, "classic").images for path in SAMPLES}
    written = {path: re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", (PROJECT / path).read_text(encoding="utf-8"))
               for path in SAMPLES}
    assert {path: list(images) for path, images in found.items() if images} == \
        {path: targets for path, targets in written.items() if targets}
    assert sum(len(images) for images in found.values()) == 11


@pytest.mark.parametrize("theme", THEMES)
def test_samples_stay_far_under_wechat_limits(theme: str) -> None:
    sizes = {path: render_sample(path, theme).content for path in SAMPLES}
    chars = sorted(len(html) for html in sizes.values())
    utf8 = max(len(html.encode("utf-8")) for html in sizes.values())
    # Found: classic 2,103–4,419 characters, campus 2,136–4,545 (the programming contest, whose
    # 4-line Python block renders to ~2,100 characters in campus); at most 5,410 bytes in UTF-8.
    assert 2_000 < chars[0] and chars[-1] < 5_000
    assert chars[-1] < WECHAT_MAX_CHARS and utf8 < 6_000 < WECHAT_MAX_BYTES


# -- how the length grows ---------------------------------------------------------------------

PARAGRAPH = "学校在田径场举行秋季运动会，全校师生参加。同学们奋勇争先，赛出了风格，赛出了水平，展现了青春风采。"
SECTION = f"## 比赛回顾\n\n{PARAGRAPH}{PARAGRAPH}\n\n{PARAGRAPH}\n\n- 报名时间：9 月 21 日\n- 地点：体育馆\n- 参加对象：全体学生\n\n"
CODE_LINE = "    result = compute(values[i], weight=0.5)  # 加权求和\n"


@pytest.fixture(scope="module")
def growth_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:

    from tests.testing.fixtures import make_repo
    root = make_repo(tmp_path_factory.mktemp("growth"))
    return root


@pytest.mark.parametrize(("theme", "per_section"), [("classic", 609), ("campus", 620)])
def test_prose_grows_linearly_and_a_maximum_length_article_fits(growth_repo: Path, theme: str, per_section: int) -> None:
    """A section of 175 counted characters (a heading, three paragraphs, a 3-item list) costs
    609 characters of HTML in classic, 620 in campus: 3.5 per counted character. An article
    just over the policy's maximum (1,274 counted characters; BODY001 stops 1,200) of such
    prose renders to 4,915 and 4,992 characters: a quarter of WeChat's limit."""
    size = {k: len(render_markdown(growth_repo, PARAGRAPH + "\n\n" + SECTION * k, theme=theme).content)
            for k in (1, 2, 4, 8)}
    assert size[2] - size[1] == per_section and size[8] - size[4] == 4 * per_section  # linear
    assert count_chars(SECTION) == 175
    sections = -(-(load_policies(PROJECT).max_chars - count_chars(PARAGRAPH)) // 175)  # 7 sections: 1,274 counted
    longest = render_markdown(growth_repo, PARAGRAPH + "\n\n" + SECTION * sections, theme=theme).content
    assert 4_500 < len(longest) < 5_500
    assert len(longest) < WECHAT_MAX_CHARS / 4


@pytest.mark.parametrize(("theme", "per_line", "lines_to_limit"), [("classic", 244, 78), ("campus", 244, 78)])
def test_code_is_what_can_exceed_the_limit(growth_repo: Path, theme: str, per_line: int, lines_to_limit: int) -> None:
    """Code blocks are not counted by BODY001, but every token carries its colour inline: one
    line of typical Python costs 244 characters with the shipped themes' Pygments style
    (friendly; tango, which colours names and punctuation too, cost 726 and put a lint-clean
    article over WeChat's 20,000-character limit with a 26-line block). With friendly a
    78-line block reaches the limit (a space between tokens is a plain space, so that a long
    line can wrap there: 244 rather than 269 a line); the publisher refuses such an article before draft/add."""
    def size(lines: int) -> int:
        body = f"{PARAGRAPH}\n\n```python\ndef f(values):\n{CODE_LINE * lines}```\n"
        return len(render_markdown(growth_repo, body, theme=theme).content)

    assert size(20) - size(10) == 10 * per_line
    assert size(lines_to_limit - 1) < WECHAT_MAX_CHARS <= size(lines_to_limit)


# -- the golden cases, the XSS one above all ----------------------------------------------------

@pytest.fixture(scope="module")
def golden_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:

    from tests.testing.fixtures import make_repo
    root = make_repo(tmp_path_factory.mktemp("golden-all"))
    return {(case, theme): render_markdown(root, (GOLDEN / f"{case}.md").read_text(encoding="utf-8"),
                                           slug=f"2026-10-20-{case}", theme=theme).content
            for case in CASES for theme in THEMES}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("case", CASES)
def test_golden_case_renders_to_allowed_balanced_html(golden_outputs: dict[tuple[str, str], str], case: str,
                                                      theme: str) -> None:
    assert check_html(golden_outputs[case, theme]).problems == []


def _outputs(golden_outputs: dict[tuple[str, str], str]) -> dict[str, str]:
    samples = {f"{path} [{theme}]": render_sample(path, theme).content for path in SAMPLES for theme in THEMES}
    return {**{f"{case} [{theme}]": html for (case, theme), html in golden_outputs.items()}, **samples}


def test_no_output_carries_anything_active(golden_outputs: dict[tuple[str, str], str]) -> None:
    """No <script>, <style>, <input> or <iframe> anywhere in the text of any output; and no
    event-handler attribute (on...=), class, id or javascript:/vbscript:/data: URL in any
    tag. The tags are judged as html.parser reads them, because an escaped mention is inert:
    the XSS case's prose says "javascript:" and "onerror=" as plain text (&lt;img ...&gt;), and
    its alt text holds `" onerror="` safely inside alt="...&quot; onerror=&quot;...".
    """
    bad: list[str] = []
    for name, html in _outputs(golden_outputs).items():
        lowered = html.lower()
        bad += [f"{name}: {needle}" for needle in ("<script", "<style", "<input", "<iframe", "<object", "<embed",
                                                    "<svg", "<math", "<link", "<meta", "<form", "<!--")
                if needle in lowered]
        checked = check_html(html)
        for tag, attribute, value in checked.attributes:
            compact = re.sub(r"[\x00-\x20]", "", value).lower()
            if attribute.startswith("on") or attribute in ("class", "id") or \
                    compact.startswith(("javascript:", "vbscript:", "data:")) and attribute in ("href", "src"):
                bad.append(f"{name}: <{tag} {attribute}={value!r}>")
        markup = "".join(f"<{tag} {attribute}>" for tag, attribute, _ in checked.attributes)  # names only
        bad += [f"{name}: {needle} in markup" for needle in (" on", "class", " id", "javascript:") if needle in markup]
    assert bad == []


def test_the_xss_case_really_tries(golden_outputs: dict[tuple[str, str], str]) -> None:
    """The XSS case carries each attack as inert text: if markdown-it or the renderer changed so
    that an attempt vanished instead, the test above would pass for the wrong reason."""
    html = golden_outputs["xss", "classic"]
    for text in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
                 "[js](javascript:alert(1))", "[vb](vbscript:msgbox(1))", "[data](data:text/html;base64,",
                 "&lt;iframe src=", "&lt;style&gt;", "&lt;input type=", "&lt;div class=", "alt=\"alt &quot; onerror=",
                 'src="https://mmbiz.qpic.cn/mmbiz_jpg/test/x&quot; onerror=&quot;alert(1)"'):
        assert text in html, text
    assert "png block" in html and "data:image/png" not in html  # a data: image is its alt text
    assert html.count("<a ") == 2  # only the two mp.weixin.qq.com links are clickable
