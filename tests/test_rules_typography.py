"""Typography (TYPO001): CJK/Latin spacing and full-width punctuation, as warnings at the right spot."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import autocorrect_py
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.lint.rules.typography import _excerpt

from tests.testing.fixtures import PROJECT, found, lint_json, where, write_article


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def test_missing_space_and_half_width_comma_is_typo001(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="第一段。\n\n我爱Python编程,很好\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "TYPO001")
    assert [(f["line"], f["column"]) for f in hits] == [where(index, "Python")]
    assert where(index, "Python")[1] == 3
    assert hits[0]["severity"] == "warning"
    assert hits[0]["message"].startswith("排版建议:「我爱Python")
    assert "→「我爱 Python" in hits[0]["message"]
    assert "中英文之间加空格" in hits[0]["message"]
    assert code == 0  # a suggestion, not an error


@pytest.mark.parametrize("body, needle", [
    ("今天天气很好我爱Python编程\n", "Python"),
    ("很好,很好\n", ","),
    ("## 标题我爱Python\n", "Python"),
    ("- 列表我爱Python\n", "Python"),
    ("- 列表项\n  续行我爱Python\n", "Python"),  # autocorrect trims the indent of the segment
    ("用 `x` 表示我爱Python编程\n", "Python"),  # and the space after inline code
    ("> 引用我爱Python\n", "Python"),
    ("第一行没有问题。\n第二行我爱Python\n", "Python"),
])
def test_column_points_at_the_first_change(repo: Path, capsys: pytest.CaptureFixture[str], body: str,
                                           needle: str) -> None:
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data, "TYPO001")] == [where(index, needle)]


@pytest.mark.parametrize("body", [
    "我爱 Python 编程，很好。\n",
    "2026 年 10 月 20 日，学校举行运动会。\n",
    "示例：\n\n```\n我爱Python编程,很好\n```\n",
    "示例：\n\n    我爱Python编程,很好\n",
    "行内代码 `我爱Python编程,很好` 不检查。\n",
    "正文。<!-- 我爱Python编程,很好 -->\n",
])
def test_correct_text_code_and_comments_are_not_flagged(repo: Path, capsys: pytest.CaptureFixture[str],
                                                        body: str) -> None:
    write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert found(data, "TYPO001") == []


def test_one_finding_per_line_on_each_affected_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="我爱Python。\n\n正确的一行。\n\n学习Java,也学习Go\n")
    _, data = lint_json(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data, "TYPO001")] == [where(index, "Python"), where(index, "Java")]


def test_a_body_its_grammar_gives_up_on_is_typo002_in_a_fresh_process_too(repo: Path) -> None:
    """The first Markdown autocorrect parses in a process used to run without its call limit:
    `wxpub lint` on this one article passed, while the same article after any other gave up.
    A fresh interpreter lints it first, as CI does."""
    write_article(repo, body="运动会开幕。" + "[a](" * 1000 + "\n")
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint", "--format", "json"],
                            capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    [notice] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TYPO002"]
    assert notice["severity"] == "notice" and "已跳过" in notice["message"]


# -- the suggestion shows the same stretch of the line before and after ----------------------

def _applied(old: str, new: str) -> tuple[str, int]:
    """`old` with the excerpt's stretch replaced by its suggestion, and where the suggestion ends."""
    start, before, after = _excerpt(old, new)
    begin = max(0, start - 6)
    assert old[begin:begin + len(before)] == before and new[begin:begin + len(after)] == after
    assert old[:start] == new[:start] and before != after
    return old[:begin] + after + old[begin + len(before):], begin + len(after)


def _shows_the_same_stretch(old: str, new: str) -> None:
    fixed, end = _applied(old, new)
    _, before, after = _excerpt(old, new)
    if fixed == new:
        return
    # the stretch ends on unchanged text, the same in both (not 「上午」 before and 「日」 after)
    assert before[-1:] == after[-1:] != ""
    if len(before) <= 18:  # not cut for length: the next change is more than 6 characters on
        assert fixed[:end + 1] == new[:end + 1]


@settings(max_examples=400, deadline=None)
@given(old=st.text(alphabet="ab 1我爱,，。.P", max_size=40), new=st.text(alphabet="ab 1我爱,，。.P", max_size=40))
def test_copying_the_suggestion_changes_only_what_it_shows(old: str, new: str) -> None:
    """Found walking through as an editor: 「10月20日上午」→「10 月 20 日」 showed four
    characters fewer after the arrow than before it, as if 上午 were to be deleted. Whatever
    two lines: the stretch after the arrow replaces the one before it, and the line then
    agrees with the corrected one up to and including the character after the stretch."""
    assume(old != new)
    _shows_the_same_stretch(old, new)


@settings(max_examples=100, deadline=None)
@given(old=st.text(alphabet="我爱Python,。 2026年", max_size=60))
def test_autocorrects_own_fix_is_shown_whole(old: str) -> None:
    new = autocorrect_py.format(old)
    assume(old != new)
    _shows_the_same_stretch(old, new)


def test_a_very_long_line_is_excerpted_quickly() -> None:
    """An attacker's paragraph: one line, repetitive, thousands of characters."""
    old = "a我" * 50_000
    began = time.perf_counter()
    start, before, after = _excerpt(old, autocorrect_py.format(old))
    assert time.perf_counter() - began < 2
    assert start == 1 and len(before) < 30 and before.startswith("a我a我") and after.startswith("a 我 a 我")
    assert before[-1] == after[-1]


def test_the_message_keeps_the_words_after_the_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="10月20日上午,学校秋季运动会在东区操场开幕。\n")
    _, data = lint_json(repo, capsys)
    [hit] = found(data, "TYPO001")
    assert "「10月20日上午" in hit["message"] and "→「10 月 20 日上午" in hit["message"]
