"""Nothing an editor writes is lost without a word. For any mix of lists and quotes nested 1 to
50 deep, every line's text is rendered, the HTML stays within WeChat's nesting limit (the
static check passes), and each line whose structure the renderer flattened to get there is a
RENDER003 warning at that line. Past markdown-it's own limit (lists 64 deep) it skips the rest
of the body: lint reports BODY007 at the first line it skipped and the renderer refuses the
article naming that line. A footnote no text cites is left out: its text is
rendered exactly when it is cited, and lint warns (BODY008) at each one that is not."""

from __future__ import annotations

import html
import re
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.content import Article, parse_article
from pipeline.errors import UserError
from pipeline.lint.document import Document
from pipeline.lint.rules import body as body_rules
from pipeline.lint.rules import rendered as rendered_rules
from pipeline.render.check import check_html
from pipeline.policies import Policies, load_policies
from pipeline.render import render_article
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import ARTICLE, FRONT_MATTER, found, lint_json, make_repo, run_cli, write_article

MARKERS = ("- ", "1. ", "> ", "* ")
LAST = "末段文字"


def nested(kinds: list[str]) -> tuple[str, list[str]]:
    """A body nesting `kinds` (list and quote markers) one inside the other, a word on each
    level's line, then a paragraph at the top level: (body, the words in order)."""
    lines, words, prefix = [], [], ""
    for depth, kind in enumerate(kinds):
        word = f"第{depth}层词"
        lines.append(prefix + kind + word)
        words.append(word)
        prefix += "> " if kind == "> " else " " * len(kind)
    return "\n".join(lines) + f"\n\n{LAST}\n", [*words, LAST]


class Sample(tuple[Path, Policies]):
    """The sample repository and its policy (shown short when hypothesis reports an example)."""

    def __repr__(self) -> str:
        return "<the sample repository>"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = make_repo(tmp_path_factory.mktemp("nesting"))
    return Sample((root, load_policies(root)))


def article(root: Path, body: str) -> Article:
    loaded = parse_article(PurePosixPath(ARTICLE), (FRONT_MATTER + "\n" + body).encode(), WorkTree(root))
    assert isinstance(loaded, Article), loaded
    return loaded


def shown(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@given(kinds=st.lists(st.sampled_from(MARKERS), min_size=1, max_size=50))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(kinds=["- "] * 4)
@example(kinds=["- "] * 5)
@example(kinds=["- "] * 10)
@example(kinds=["> "] * 9)
@example(kinds=["> "] * 10)
@example(kinds=["> "] * 21)
@example(kinds=["- ", "> "] * 25)
@example(kinds=["- "] * 50)
def test_every_word_is_rendered_within_the_nesting_limit_or_reported(sample: Sample,
                                                                    kinds: list[str]) -> None:
    root, policies = sample
    text, words = nested(kinds)
    written = article(root, text)
    findings = [f for f in body_rules.check(Document(written, policies)) if f.code == "BODY007"]
    try:
        rendered = render_article(written, policies)
        page = shown(rendered.content)
    except UserError as refused:
        [finding] = findings
        assert refused.where == f"{ARTICLE}:{finding.line}", (refused.where, finding)
        reported = (FRONT_MATTER + "\n" + text).split("\n")[finding.line - 1]
        [first_lost] = [k for k, word in enumerate(words) if reported.endswith(word)]  # the word on that line
        kept = shown(render_article(written, policies, tokens=Document(written, policies).tokens).content)
        assert all(word in kept for word in words[:first_lost]), (first_lost, kept)
        assert words[first_lost] not in kept, (first_lost, kept)
        return
    assert not findings, findings
    assert all(word in page for word in words), [word for word in words if word not in page]
    assert check_html(rendered.content) == [], check_html(rendered.content)
    lines = (FRONT_MATTER + "\n" + text).split("\n")
    flattened = {f.line for f in rendered_rules.check(Document(written, policies)) if f.code == "RENDER003"}
    # a level is flattened exactly when its tags are missing: each flattened line is a level's line
    assert all(lines[line - 1].endswith(tuple(words)) for line in flattened), flattened
    assert bool(flattened) == _too_deep(kinds), (kinds, flattened)


def _too_deep(kinds: list[str]) -> bool:
    """Whether the levels need more elements than fit: a list costs 2 (list and item), a
    quote 1, and a paragraph with one inline element must fit below (nesting.py)."""
    from pipeline.render.nesting import container_fits
    depth = 0
    for kind in kinds:
        levels = 1 if kind == "> " else 2
        if not container_fits(depth, levels):
            return True
        depth += levels
    return False


def test_lint_and_render_say_where_the_text_stops(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, _ = nested(["- "] * 70)
    index = write_article(repo, body=text)
    line = index.read_text(encoding="utf-8").split("\n").index(" " * 2 * 63 + "- 第63层词") + 1
    code, report = lint_json(repo, capsys)
    [finding] = found(report, "BODY007")
    assert code == 1 and finding["line"] == line and finding["severity"] == "error", finding
    assert "嵌套过深" in finding["message"] and "减少" in finding["message"], finding
    code, out, err = run_cli(repo, capsys, "render", str(index))
    assert code == 2 and f"index.md:{line}" in err and "嵌套过深" in err and not out, (code, err)
    assert "Traceback" not in err


@given(cited=st.lists(st.booleans(), min_size=1, max_size=6), indented=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_footnote_is_rendered_or_reported_at_its_line(sample: Sample, cited: list[bool], indented: bool) -> None:
    root, policies = sample
    refs = "".join(f"第{k}处[^n{k}]" if is_cited else f"第{k}处" for k, is_cited in enumerate(cited))
    lead = "- 列表\n\n  " if indented else ""  # the first note inside a list item
    notes = "".join(f"{lead if k == 0 else ''}[^n{k}]: 注释文字{k}号\n" for k in range(len(cited)))
    text = f"{refs}。\n\n{notes}"
    written = article(root, text)
    page = shown(render_article(written, policies).content)
    warned = {f.line: f for f in body_rules.check(Document(written, policies)) if f.code == "BODY008"}
    lines = (FRONT_MATTER + "\n" + text).split("\n")
    for k, is_cited in enumerate(cited):
        line = next(number for number, written_line in enumerate(lines, 1) if f"注释文字{k}号" in written_line)
        assert (f"注释文字{k}号" in page) == is_cited, (k, page)
        assert (line in warned) == (not is_cited), (k, warned)
        if not is_cited:
            assert f"[^n{k}]" in warned[line].message, warned[line]


def test_an_uncited_footnote_is_a_warning_and_the_article_still_renders(repo: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="运动会圆满结束[^1]。\n\n[^1]: 据体育部统计。\n[^2]: 忘了引用的说明。\n")
    line = index.read_text(encoding="utf-8").split("\n").index("[^2]: 忘了引用的说明。") + 1
    code, report = lint_json(repo, capsys)
    [finding] = found(report, "BODY008")
    assert code == 0 and finding["line"] == line and finding["severity"] == "warning", finding
    code, out, err = run_cli(repo, capsys, "render", str(index))
    assert code == 0 and "据体育部统计" in out and "忘了引用的说明" not in out, (code, err)


@given(header=st.integers(1, 5), rows=st.lists(st.integers(0, 7), min_size=1, max_size=5),
       quoted=st.booleans(), edges=st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_table_cell_is_rendered_or_its_row_reported(sample: Sample, header: int, rows: list[int],
                                                          quoted: bool, edges: bool) -> None:
    root, policies = sample
    prefix = "> " if quoted else ""
    edges = edges or header == 1  # `列0` over `---` without pipes is a heading, not a table

    def row(cells: list[str]) -> str:
        inner = " | ".join(cells)
        return prefix + (f"| {inner} |" if edges else inner)

    lines = [row([f"列{c}" for c in range(header)]), row(["---"] * header)]
    words = [[f"格{r}x{c}" for c in range(count)] for r, count in enumerate(rows)]
    lines += [row(cells) if cells else prefix + "|" for cells in words]
    text = "\n".join(lines) + "\n"
    written = article(root, text)
    page = shown(render_article(written, policies).content)
    reported = {f.line for f in body_rules.check(Document(written, policies)) if f.code == "BODY009"}
    file_lines = (FRONT_MATTER + "\n" + text).split("\n")
    for cells in words:
        if not cells:
            continue
        line = next(number for number, written_line in enumerate(file_lines, 1) if cells[0] in written_line)
        lost = [word for word in cells if word not in page]
        assert bool(lost) == (line in reported), (cells, lost, reported, page)
        assert lost == cells[header:], (cells, lost)
