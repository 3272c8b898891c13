"""The text a reader sees (pipeline.readertext), and everything that matches phrases in it.

Properties over generated articles (hypothesis), on the real parser, renderer, lint rules and
approvals code: markup the renderer removes, put anywhere inside a listed phrase, never hides
it from conditional stages, word lists or custom rules; a phrase is in the reader text exactly
when it is in the rendered HTML's visible text; every character maps back to the place in
index.md it was written. Then the same through the CLI: `wxpub lint` and `wxpub approvals`
against the fake GitHub over HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pipeline.approvals import conditional_stages
from pipeline.cli import main
from pipeline.content import Article, parse_article
from pipeline.lint.document import Document
from pipeline.lint.rules import classified, custom, words
from pipeline.policies import Policies, load_policies
from pipeline.readertext import SEPARATOR, ReaderText, loose_fold, reader_text, width_fold
from pipeline.render import render_article
from pipeline.snapshot import WorkTree
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import (ARTICLE, FRONT_MATTER, found, lint_json, make_repo, write_article)
from tests.testing.workflow_tokens import approvals_token

# Phrases are drawn from characters that nothing around them uses: not the template's (文, 注释,
# 参考链接, 原创), the theme's alert titles (说明, 提示, 重要, 注意, 警告), the sample account's
# footer or byline, nor the text put around the phrase; so a phrase found is the phrase written.
PHRASE_CHARS = "招生计划录取分数线人事任免"
AROUND = "同学们在校园里参加比赛。"
FM_LINES = FRONT_MATTER.count("\n")  # index.md's body starts on the line after the blank line
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclasses.dataclass(frozen=True)
class Sample:
    """A repository with the sample policy (shown short when hypothesis reports an example)."""

    root: Path
    policies: Policies

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text("<the sample repository>")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = make_repo(tmp_path_factory.mktemp("readertext"))
    return Sample(root, load_policies(root))


def article(root: Path, body: str, fm: str = FRONT_MATTER) -> Article:
    loaded = parse_article(PurePosixPath(ARTICLE), (fm + "\n" + body).encode(), WorkTree(root))
    assert isinstance(loaded, Article), loaded
    return loaded


def listing(policies: Policies, phrase: str) -> Policies:
    """The sample policy with `phrase` as the only token of its conditional stage rule (SCH003),
    the only word of its first word list (WORD001) and the only classified marker (SEC001)."""
    rules = tuple(dataclasses.replace(rule, tokens=(phrase,), exceptions=()) if rule.code == "SCH003" else rule
                  for rule in policies.custom_rules)
    wordlist = dataclasses.replace(policies.wordlists[0], words=(phrase,), allowed=())
    return dataclasses.replace(policies, custom_rules=rules, wordlists=(wordlist,), classified_markers=(phrase,),
                               classified_allow=())


class _VisibleText(HTMLParser):
    """The text a person (or a screen reader) gets from article HTML: text nodes, an image's
    alt where no caption shows it, blocks on lines of their own; not the superscript marks
    (注1, [1]) beside the text."""

    BLOCKS = frozenset({"p", "section", "figure", "figcaption", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                        "table", "thead", "tbody", "tr", "td", "th", "blockquote", "pre", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.sup = 0
        self.figure = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "sup":
            self.sup += 1
        elif tag == "figure":
            self.figure += 1
        elif tag == "img" and not self.figure:
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "sup":
            self.sup -= 1
        elif tag == "figure":
            self.figure -= 1

    def handle_data(self, data: str) -> None:
        if not self.sup:
            self.parts.append(data)


def visible_html_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return width_fold("".join(parser.parts))


# -- generated articles ----------------------------------------------------------------------------

phrases = st.text(alphabet=PHRASE_CHARS, min_size=2, max_size=6)

# Markup around a piece of the phrase: the reader sees the piece (code is shown too)
WRAPPERS = {
    "plain": ("", ""), "emphasis": ("*", "*"), "underscore": ("_", "_"), "strong": ("**", "**"),
    "strike": ("~~", "~~"), "code": ("`", "`"), "double code": ("`` ", " ``"),
    "link": ("[", "](https://example.org/p)"), "wechat link": ("[", "](https://mp.weixin.qq.com/s/x)"),
    "relative link": ("[", "](附件.pdf)"), "reference link": ("[", "][ref]"),
}
# Between two pieces: shows nothing of its own
JUNCTIONS = {
    "nothing": "", "comment": "<!-- 编辑备注 -->", "multi-line comment": "<!--\n备注\n-->",
    "soft line break": "\n", "indented line break": "\n   ", "footnote": "[^1]", "empty image": "![](x.jpg)",
    **{f"U+{ord(c):04X}": c for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"
       "\u2066\u2067\u2068\u2069\u206a\u034f\ufe0f\U000e0020"},
}
CONTEXTS = {"paragraph": "{}", "heading": "## {}", "list item": "- {}", "task": "- [ ] {}",
            "quote": "> {}", "ordered": "3. {}", "alert": "> [!TIP]\n> {}", "table cell": "| 名称 | {} |\n|---|---|\n| 甲 | 乙 |",
            "footnote text": "正文[^9]。\n\n[^9]: {}"}


@dataclasses.dataclass(frozen=True)
class Marked:
    """A body holding `phrase` with markup inside it, and where its first character was written."""

    phrase: str
    body: str
    first: int  # offset in `body` of the phrase's first character

    def place(self) -> tuple[int, int]:
        """(line in index.md, column) of the phrase's first character."""
        before = self.body[:self.first]
        return FM_LINES + 2 + before.count("\n"), self.first - (before.rfind("\n") + 1) + 1


@st.composite
def marked(draw: st.DrawFn) -> Marked:
    """A phrase cut into pieces, each piece in markup, each cut filled with something invisible,
    one character possibly written as an entity; in some block, between ordinary text."""
    phrase = draw(phrases)
    cuts = sorted(draw(st.sets(st.integers(1, len(phrase) - 1), min_size=1, max_size=len(phrase) - 1)))
    pieces = [phrase[a:b] for a, b in zip([0, *cuts], [*cuts, len(phrase)])]
    out, first = "", -1
    for i, piece in enumerate(pieces):
        if i:
            out += draw(st.sampled_from(sorted(JUNCTIONS.values())))
            if draw(st.booleans()):  # the piece's first character as a numeric entity
                piece = draw(st.sampled_from([f"&#{ord(piece[0])};", f"&#x{ord(piece[0]):x};"])) + piece[1:]
        opening, closing = WRAPPERS[draw(st.sampled_from(sorted(WRAPPERS)))]
        if i == 0:
            first = len(out) + len(opening)
        out += opening + piece + closing
    template = CONTEXTS[draw(st.sampled_from(sorted(CONTEXTS)))]
    before = draw(st.text(alphabet=AROUND, max_size=4))
    after = draw(st.text(alphabet=AROUND, max_size=4))
    head = template.split("{}")[0]
    body = template.format(before + out + after) + "\n\n[ref]: https://example.org/r\n\n[^1]: 说明文字。\n"
    return Marked(phrase, body, len(head) + len(before) + first)


@given(case=marked())
@SETTINGS
@example(case=Marked("招生计划", "招生**计划**\n", 0))
@example(case=Marked("招生计划", "招生<!-- -->计划\n", 0))
@example(case=Marked("招生计划", "招[生](x)计划\n", 0))
@example(case=Marked("招生计划", "招生&#35745;划\n", 0))
@example(case=Marked("招生计划", "招生[^1]计划\n\n[^1]: 注\n", 0))
@example(case=Marked("招生计划", "招生\u200b计划\n", 0))
@example(case=Marked("招生计划", "同学们：\n招生\n计划\n", 5))
def test_markup_the_renderer_removes_never_hides_a_phrase(sample: Sample, case: Marked) -> None:
    root, policies = sample.root, sample.policies
    doc_article = article(root, case.body)
    html = visible_html_text(render_article(doc_article, policies).content)
    assume(case.phrase in html)  # markdown-it kept some markup as text (say `*` it cannot pair): not removed
    reader = reader_text(doc_article)
    assert case.phrase in reader.text
    policy = listing(policies, case.phrase)
    # the approvals check requires the stage...
    assert "leadership" in conditional_stages(policy, PurePosixPath(ARTICLE), (FRONT_MATTER + "\n" + case.body).encode())
    # ...and lint's rules find the phrase where it begins: the line (and column) its first character was written on
    doc = Document(doc_article, policy)
    findings = [*custom.check(doc), *words.check(doc), *classified.check(doc)]
    assert sorted((f.code, f.line, f.column) for f in findings if f.code in ("SCH003", "WORD001", "SEC001")) == [
        (code, *case.place()) for code in ("SCH003", "SEC001", "WORD001")]
    assert [f.code for f in findings if f.code == "WORD002"] == []  # the exact pass found it: no second report


# Fragments of Markdown, shuffled into arbitrary bodies: text, every kind of markup, and the
# places a reader does not see (a link's target, a comment, an image's file name)
FRAGMENTS = st.sampled_from([
    *PHRASE_CHARS, "同学", " ", "\n", "\n\n", "*", "**", "_", "~~", "`", "``", "[", "]", "](https://example.org/p)",
    "](招生)", "](https://mp.weixin.qq.com/s/招生)", "![", "](招生.jpg)", "<!--", "-->", "<!-- 招生计划 -->", "&#25307;",
    "&amp;", "&#x751F;", "&bogus;", "\\*", "\\", "\u200b", "\u3000", "ｘ", "x", "y", "- ", "> ", "## ", "1. ",
    "[^1]", "\n\n[^1]: ", "[^2]", "\n\n[^2]: ", "```\n", "\n```\n", "    ", "| ", " |", "\n|---|---|\n", "<", ">",
    "https://x.y", "> [!NOTE]\n", "- [x] ", "\n---\n", "\n===\n", "  \n", "[ref]", "\n\n[ref]: https://r.example/招\n",
    "\t", "\\\n", "<https://x.y/招>", "&#8203;", "&nbsp;", "&#0;", "~~~\n", "> - ", "  - ", "\"", "'", "(", ")",
    " \"标题\")", "<x.jpg>", "*招*", "![[招](https://x.y)](a.jpg)", "[![招](a.jpg)](https://x.y)",
])
bodies = st.lists(FRAGMENTS, max_size=40).map("".join)


@given(body=bodies, phrase=st.text(alphabet=PHRASE_CHARS + "xy", min_size=1, max_size=3))
@SETTINGS
@example(body="[招生](https://example.org/招生计划)", phrase="计划")
@example(body="<!-- 招生计划 -->招生", phrase="计划")
@example(body="![招生](计划.jpg)", phrase="计划")
@example(body="[x\ny](https://example.org/p)", phrase="xy")
def test_a_phrase_is_in_the_reader_text_iff_the_rendered_html_shows_it(sample: Sample, body: str,
                                                                      phrase: str) -> None:
    root, policies = sample.root, sample.policies
    doc_article = article(root, body)
    html = visible_html_text(render_article(doc_article, policies).content)
    reader = reader_text(doc_article)
    assert (phrase in reader.text) == (phrase in html), (reader.text, html)


@given(body=bodies)
@SETTINGS
@example(body="招\\| 招\n---\n")  # markdown-it drops a cell's `\|` backslash before parsing it
@example(body="| a \\| b | c\\|d 招 |\n|---|---|\n")
def test_every_character_maps_back_to_where_it_was_written(sample: Sample, body: str) -> None:
    root = sample.root
    doc_article = article(root, body)
    reader = reader_text(doc_article)
    lines = (FRONT_MATTER + "\n" + body).split("\n")
    segments = reader.text.split(SEPARATOR)
    start = reader.text.index(segments[2]) if len(segments) > 2 else len(reader.text)  # title, author, then the body
    for offset in range(start, start + len(segments[2]) if len(segments) > 2 else start):
        char = reader.text[offset]
        if char.isspace():
            continue  # line breaks and the spaces that join lines have no source of their own
        line, column = reader.position(offset)
        written = lines[line - 1][column - 1]
        # the character itself, or where markdown-it decoded it from (an entity, a backslash escape)
        assert char in width_fold(written) or written in "&\\", (offset, char, line, column, lines[line - 1])


# -- the folding -------------------------------------------------------------------------------------


@given(st.text())
def test_folding_is_idempotent_and_leaves_nothing_invisible(text: str) -> None:
    folded = width_fold(text)
    assert width_fold(folded) == folded
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad\u034f\ufe00-\ufe0f]", folded)
    assert loose_fold(folded) == loose_fold(text)
    assert all(c.isalnum() or c == SEPARATOR for c in loose_fold(text))


@pytest.mark.parametrize("written, seen", [
    ("ＡＢＣ１２３", "ABC123"), ("招\u200b生", "招生"), ("招\u202e生", "招生"), ("招\ufe0f生", "招生"),
    ("⼈事", "人事"), ("招\u3164生", "招生"), ("ｶﾀｶﾅ", "カタカナ"), ("，：；", ",:;"), ("a\u2028b", "a\nb"),
])
def test_width_folding(written: str, seen: str) -> None:
    assert width_fold(written) == seen


# -- what is read, what is not --------------------------------------------------------------------------


@pytest.mark.parametrize("body, shown", [
    ("招生**计划**。\n", ["招生计划。"]),
    ("招生<!-- 备注 -->计划。\n", ["招生计划。"]),
    ("招[生](https://example.org/)计划。\n", ["招生计划。", "https://example.org/"]),  # the target is listed under 参考链接
    ("招生&#35745;&#x5212;。\n", ["招生计划。"]),
    ("招生`计划`。\n", ["招生计划。"]),
    ("招生[^1]计划。\n\n[^1]: 注文。\n", ["招生计划。\n注文。"]),  # the note as the 注释 list shows it, no 注1 mark
    ("招生\n计划。\n", ["招生计划。"]),  # Chinese lines join without a space
    ("Hello\nworld.\n", ["Hello world."]),
    ("图![招生计划](a.jpg)。\n", ["图招生计划。"]),  # an image's alt text where it is
    ("![招生计划](a.jpg)\n", ["招生计划"]),  # a figure's caption
    ("> [!NOTE]\n> 正文。\n", ["正文。"]),  # the theme writes the title, not the article
    ("```\n代码\n```\n", ["代码\n"]),
    ("| 甲 | 乙 |\n|---|---|\n| 丙 | 丁 |\n", ["甲\n乙\n丙\n丁"]),
    ("[文字](https://mp.weixin.qq.com/s/x)\n", ["文字"]),  # a link WeChat keeps: its target is not shown
    ("正文。<!-- 编辑备注:赌博 -->\n", ["正文。"]),
])
def test_what_the_reader_sees(sample: Sample, body: str, shown: list[str]) -> None:
    root = sample.root
    reader = reader_text(article(root, body))
    assert reader.shown.split(SEPARATOR)[2:] == shown  # after the title and the author


def test_title_digest_author_and_source_are_read_in_that_order(sample: Sample) -> None:
    root = sample.root
    fm = "---\n" + yaml.safe_dump({"title": "标题", "digest": "摘要", "author": "作者",
                                   "source": {"name": "来源", "url": "https://example.org/s"}},
                                  allow_unicode=True, sort_keys=False) + "---\n"
    reader = reader_text(article(root, "正文。\n", fm))
    assert reader.shown.split(SEPARATOR) == ["标题", "摘要", "作者", "来源", "正文。", "https://example.org/s"]
    assert [reader.position(reader.text.index(word)) for word in ("标题", "摘要", "作者", "来源")] == [
        (2, 1), (3, 1), (4, 1), (6, 1)]


def test_nothing_matches_across_segments(sample: Sample) -> None:
    root = sample.root
    reader = reader_text(article(root, "计划如下。\n", "---\ntitle: 关于招生\n---\n"))
    assert reader.find(("招生计划",)) == [] and reader.mention(("招生计划",)) is None


def test_a_space_or_punctuation_inside_is_a_loose_mention(sample: Sample) -> None:
    root = sample.root
    for body in ("招生 计划。\n", "招生、计划。\n", "招生\\\n计划。\n", "- 招生\n- 计划\n"):
        reader = reader_text(article(root, body))
        assert reader.find(("招生计划",)) == [], body
        mention = reader.mention(("招生计划",))
        assert mention is not None and reader.position(mention.start) == (FM_LINES + 2, body.index("招") + 1), body
    assert reader_text(article(root, "招生。计划。\n")).mention(("招生计划",)) is None  # a sentence ends between


def test_written_is_the_text_before_folding(sample: Sample) -> None:
    root = sample.root
    reader: ReaderText = reader_text(article(root, "用ｖ ｐ\u200bｎ上网。\n"))
    [match] = reader.find_loose(("vpn",))
    assert reader.written(match.start, match.end) == "ｖ ｐ\u200bｎ"


# -- through the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


@pytest.mark.parametrize("line", ["今年招生**计划**已经公布。", "今年招生<!-- 备注 -->计划已经公布。", "今年招[生](https://example.org/)计划已经公布。",
                                  "今年招生&#35745;划已经公布。", "今年招生\u200b计划已经公布。", "今年ＡＢ招生`计划`已经公布。"])
def test_lint_reports_a_split_phrase_at_its_line(repo: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    index = write_article(repo, body=f"第一段。\n\n{line}\n")
    _, data = lint_json(repo, capsys)
    lines = index.read_text(encoding="utf-8").split("\n")
    number = lines.index(line) + 1
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "SCH003")] == [("SCH003", number, line.index("招") + 1)]


def test_lint_reports_a_phrase_split_across_two_lines_at_the_first(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="第一段。\n\n今年的招生\n计划已经公布,\n另有赌\n博内容。\n")
    _, data = lint_json(repo, capsys)
    lines = index.read_text(encoding="utf-8").split("\n")
    first = lines.index("今年的招生") + 1
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "SCH003")] == [("SCH003", first, 4)]
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "WORD001")] == [("WORD001", first + 2, 3)]


def test_suppression_by_line_covers_a_split_word(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="<!-- wxpub-disable SEC001: 引用的公开报道标题 -->\n报道《绝**密**档案》上映。\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "SEC001") == [] and [s["codes"] for s in data["suppressions"]] == [["SEC001"]]


@pytest.mark.parametrize("marker", ["机**密**", "机<!-- x -->密", "机\u200d密", "&#26426;密"])
def test_classified_marker_split_by_markup(repo: Path, capsys: pytest.CaptureFixture[str], marker: str) -> None:
    write_article(repo, body=f"本次会议材料属{marker},请注意。\n")
    _, data = lint_json(repo, capsys)
    assert [f["message"] for f in found(data, "SEC001")] == [
        "出现涉密标记「机密」:涉密、内部资料不得发布;请删去相关内容,确属公开信息的请说明理由后抑制此条"]


def test_words_in_a_link_target_or_image_file_name_are_not_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="详见[通知](附件/赌博.pdf)与[原文](https://mp.weixin.qq.com/s/赌博)。\n\n"
                             "<!-- 编辑备注:赌博 -->\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "WORD001", "WORD002") == []


# -- approvals through the fake GitHub -------------------------------------------------------------------------

HEAD = "h" * 40
NEWS = "content/official/publicity/2026-10-20-sports-day/index.md"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in {"publicity": ["pub-chief", "pub-editor"], "leadership": ["vice-president"]}.items():
            fake.set_team("jcu-media", slug, members)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", approvals_token(fake))
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        yield fake


def approvals(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(root), "approvals", "--pr", "1", "--format", "json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return code, json.loads(out.out)


@pytest.mark.parametrize("body", ["今年招生计划公布。", "今年招生**计划**公布。", "今年招生<!-- -->计划公布。", "今年招[生](x.pdf)计划公布。",
                                  "今年招生&#35745;划公布。", "今年招生[^1]计划公布。\n\n[^1]: 注", "今年招生\u200b计划公布。",
                                  "今年招生\n计划公布。", "今年招生 计划公布。", "今年招生`计划`公布。"])
def test_approvals_require_the_stage_whatever_the_markup(repo: Path, github: FakeGitHub,
                                                         capsys: pytest.CaptureFixture[str], body: str) -> None:
    github.add_pull(1, "editor-li", HEAD, files=[(NEWS, "added", None)])
    github.set_file(HEAD, NEWS, (FRONT_MATTER + "\n" + body + "\n").encode())
    for reviewer in ("pub-chief", "pub-editor"):  # the department and the publicity office: one stage each
        github.add_review(1, reviewer, "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 1 and [s["name"] for s in report["stages"] if not s["satisfied"]] == ["校领导审批"]
    github.add_review(1, "vice-president", "APPROVED", HEAD)
    assert approvals(repo, capsys)[0] == 0


@pytest.mark.parametrize("body", ["今年招生工作顺利。", "招生<!-- 计划 -->工作顺利。", "[招生](https://example.org/计划)工作顺利。",
                                  "招生。计划另行通知。"])
def test_approvals_do_not_ask_for_what_the_reader_does_not_see(repo: Path, github: FakeGitHub,
                                                               capsys: pytest.CaptureFixture[str], body: str) -> None:
    github.add_pull(1, "editor-li", HEAD, files=[(NEWS, "added", None)])
    github.set_file(HEAD, NEWS, (FRONT_MATTER + "\n" + body + "\n").encode())
    for reviewer in ("pub-chief", "pub-editor"):  # the department and the publicity office: one stage each
        github.add_review(1, reviewer, "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 0 and [s["name"] for s in report["stages"]] == ["部门负责人审核(党委宣传部)", "党委宣传部审核"]


def test_approvals_require_every_conditional_stage_of_an_unreadable_article(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    github.add_pull(1, "editor-li", HEAD, files=[(NEWS, "added", None)])
    github.set_file(HEAD, NEWS, "---\ntitle: [未闭合\n---\n\n正文。\n".encode("gbk"))  # neither UTF-8 nor YAML
    for reviewer in ("pub-chief", "pub-editor"):  # the department and the publicity office: one stage each
        github.add_review(1, reviewer, "APPROVED", HEAD)
    code, report = approvals(repo, capsys)
    assert code == 1 and "校领导审批" in [s["name"] for s in report["stages"]]
