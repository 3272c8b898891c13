"""Typography (TYPO001): CJK/Latin spacing and full-width punctuation, as warnings at the right spot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from tests.testing.fixtures import make_repo, write_article


@pytest.fixture(scope="module")
def _sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("sample"))


@pytest.fixture
def repo(_sample_repo: Path) -> Path:
    """The sample-policy repository, emptied of articles: one `git init` per module keeps this fast."""
    shutil.rmtree(_sample_repo / "content", ignore_errors=True)
    return _sample_repo


def lint(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(root), "lint", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def found(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["code"] == "TYPO001"]


def where(index: Path, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the nth `needle` in the body of index.md."""
    text = index.read_text(encoding="utf-8")
    offset = text.index("\n---\n") + 4
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def test_missing_space_and_half_width_comma_is_typo001(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="第一段。\n\n我爱Python编程,很好\n")
    code, data = lint(repo, capsys)
    hits = found(data)
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
    _, data = lint(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data)] == [where(index, needle)]


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
    _, data = lint(repo, capsys)
    assert found(data) == []


def test_one_finding_per_line_on_each_affected_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="我爱Python。\n\n正确的一行。\n\n学习Java,也学习Go\n")
    _, data = lint(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data)] == [where(index, "Python"), where(index, "Java")]
