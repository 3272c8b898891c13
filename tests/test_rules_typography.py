"""Typography (TYPO001): CJK/Latin spacing and full-width punctuation, as warnings at the right spot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
