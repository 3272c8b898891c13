"""Body rules BODY001-BODY005 (length, empty body, headings) and the 字数 counter they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.textcount import count_chars
from tests.testing.fixtures import FRONT_MATTER, PROJECT, Lint, make_repo, message, pairs, write_article

BODY_LINE = FRONT_MATTER.count("\n") + 1  # 9: the first line after the closing ---


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def article(repo: Path, body: str) -> Path:
    return write_article(repo, raw=FRONT_MATTER + body)


def line_of(index: Path, text: str) -> int:
    lines = index.read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if line == text)


# -- count_chars ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("", 0),
    ("   \n\t ", 0),
    ("江城大学", 4),  # one per Chinese character
    ("WeChat", 1),  # a Latin word is one
    ("2026", 1),  # a number is one
    ("iPhone15", 1),  # letters and digits in one run
    ("WeChat 2026", 2),
    ("Hello, world!", 2),  # ASCII punctuation and spaces count nothing
    ("，。！？：；", 6),  # full-width punctuation counts one each
    ("“引号”", 4),
    ("……——", 4),  # ellipsis and dash marks, one per character
    ("café résumé", 2),  # accented Latin stays inside the word
    ("第 3 届 ACM 竞赛", 6),
    ("计算机学院2026年", 7),  # 5 characters, one number, 1 character
    ("😀", 1),  # any other visible non-ASCII character
])
def test_count_chars(text: str, expected: int) -> None:
    assert count_chars(text) == expected


# -- BODY001 length -------------------------------------------------------------------------------

def test_exactly_the_limit_passes(repo: Path, lint: Lint) -> None:
    article(repo, "字" * 1200 + "\n")
    code, findings = lint(repo)
    assert pairs(findings, "BODY") == []
    assert code == 0


def test_one_over_the_limit_is_body001(repo: Path, lint: Lint) -> None:
    article(repo, "字" * 1201 + "\n")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]
    assert "正文 1201 字,超过上限 1200 字(多 1 字)" in message(findings, "BODY001")


def test_latin_words_count_one_each(repo: Path, lint: Lint) -> None:
    article(repo, "word 2026 " * 600 + "\n")  # 6,000 letters and digits, 1,200 counted
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == []
    article(repo, "word 2026 " * 600 + "end\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]
    assert "正文 1201 字" in message(findings, "BODY001")


def test_words_on_separate_lines_are_separate_words(repo: Path, lint: Lint) -> None:
    # a soft line break or a new paragraph separates words, as the reader sees them
    article(repo, "word\n" * 601 + "\n" + "word\n\n" * 600)
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]
    assert "正文 1201 字" in message(findings, "BODY001")


def test_code_blocks_are_not_counted(repo: Path, lint: Lint) -> None:
    fenced = "```\n" + "代码" * 300 + "\n```\n"
    indented = "    " + "缩进代码" * 100 + "\n"
    article(repo, "字" * 1200 + "\n\n" + fenced + "\n" + indented)
    code, findings = lint(repo)
    assert (code, pairs(findings, "BODY")) == (0, [])


def test_inline_code_is_counted(repo: Path, lint: Lint) -> None:
    article(repo, "字" * 1199 + "`代码`\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]
    assert "正文 1201 字" in message(findings, "BODY001")


def test_link_text_counts_but_image_alt_text_does_not(repo: Path, lint: Lint) -> None:
    article(repo, "字" * 1198 + "[链接](https://mp.weixin.qq.com/s/abc)\n\n![很长很长的替代文字](cover.jpg)\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == []
    article(repo, "字" * 1199 + "[链接](https://mp.weixin.qq.com/s/abc)\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]


def test_html_comments_are_not_counted(repo: Path, lint: Lint) -> None:
    # raw HTML is off, so markdown-it keeps comments as text; the reader never sees them
    article(repo, "字" * 1200 + "<!-- 编辑备注:待核实 -->\n\n<!--\n多行备注\n-->\n")
    code, findings = lint(repo)
    assert (code, pairs(findings, "BODY")) == (0, [])


def test_limit_comes_from_policy(tmp_path: Path, lint: Lint) -> None:
    policy = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
    assert policy.count("max_chars: 1200") == 1
    repo = make_repo(tmp_path, policies=policy.replace("max_chars: 1200", "max_chars: 10"))
    article(repo, "江城大学计算机学院举办讲座\n")  # 13
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY001", BODY_LINE)]
    assert "正文 13 字,超过上限 10 字(多 3 字)" in message(findings, "BODY001")


# -- BODY002 empty ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "\n\n   \n", "<!-- 稍后补写 -->\n", "```\n只有代码\n```\n"])
def test_empty_body_is_body002(repo: Path, lint: Lint, body: str) -> None:
    article(repo, body)
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "BODY") == [("BODY002", BODY_LINE)]
    assert "正文为空" in message(findings, "BODY002")


def test_body_with_only_an_image_is_not_empty(repo: Path, lint: Lint) -> None:
    article(repo, "\n![](cover.jpg)\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == []


# -- BODY003-BODY005 headings ----------------------------------------------------------------------

def test_level_one_heading_is_body003(repo: Path, lint: Lint) -> None:
    index = article(repo, "\n正文内容。\n\n# 大标题\n\n更多内容。\n")
    code, findings = lint(repo)
    assert code == 0  # a warning
    assert pairs(findings, "BODY") == [("BODY003", line_of(index, "# 大标题"))]
    assert "正文中不要用一级标题" in message(findings, "BODY003")
    assert next(f for f in findings if f["code"] == "BODY003")["severity"] == "warning"


def test_setext_level_one_heading_is_body003(repo: Path, lint: Lint) -> None:
    index = article(repo, "\n正文内容。\n\n大标题\n===\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY003", line_of(index, "大标题"))]


def test_skipped_heading_level_is_body004(repo: Path, lint: Lint) -> None:
    index = article(repo, "\n正文内容。\n\n## 二级\n\n内容。\n\n#### 四级\n\n内容。\n")
    code, findings = lint(repo)
    assert code == 0
    assert pairs(findings, "BODY") == [("BODY004", line_of(index, "#### 四级"))]
    assert "标题从 2 级跳到 4 级;请使用 ### 3 级标题" in message(findings, "BODY004")


def test_first_heading_at_level_three_is_body004(repo: Path, lint: Lint) -> None:
    index = article(repo, "\n正文内容。\n\n### 三级\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == [("BODY004", line_of(index, "### 三级"))]
    assert "标题从 1 级跳到 3 级" in message(findings, "BODY004")


def test_orderly_headings_pass(repo: Path, lint: Lint) -> None:
    article(repo, "\n正文。\n\n## 一\n\n内容。\n\n### 一点一\n\n内容。\n\n## 二\n\n内容。\n\n### 二点一\n\n#### 细节\n\n内容。\n")
    code, findings = lint(repo)
    assert (code, pairs(findings, "BODY")) == (0, [])


@pytest.mark.parametrize("heading", ["## ", "##", "## ##"])
def test_empty_heading_is_body005(repo: Path, lint: Lint, heading: str) -> None:
    index = article(repo, f"\n正文内容。\n\n{heading}\n\n更多内容。\n")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "BODY") == [("BODY005", line_of(index, heading))]
    assert "标题没有文字" in message(findings, "BODY005")


def test_heading_inside_code_block_is_ignored(repo: Path, lint: Lint) -> None:
    article(repo, "\n正文内容。\n\n```markdown\n# 示例\n#### 示例\n##\n```\n")
    _, findings = lint(repo)
    assert pairs(findings, "BODY") == []
