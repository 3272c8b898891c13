"""Inline suppressions `<!-- wxpub-disable CODE: reason -->`: scope, reasons, misuse, reporting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import ARTICLE, found, lint_json, run_cli, spots, where, write_article


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def line_of(index: Path, needle: str, nth: int = 0) -> int:
    return where(index, needle, nth)[0]


def suppression(index: Path, directive: str, codes: list[str], reason: str, scope: str, count: int,
                nth: int = 0) -> dict[str, Any]:
    return {"path": ARTICLE, "line": line_of(index, directive, nth), "codes": codes, "reason": reason,
            "scope": scope, "suppressed": count}


# --- scope ------------------------------------------------------------------------------------


def test_own_line_directive_covers_the_next_non_blank_line_only(repo: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    body = ("<!-- wxpub-disable PII005: 公务邮箱 -->\n\n"
            "宣传部邮箱 office@jcu.edu.cn\n\n"
            "个人邮箱 zhang@example.com\n")
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP001", "SUP002", "SUP003") == [("PII005", *where(index, "zhang@"))]
    assert data["suppressions"] == [suppression(index, "<!-- wxpub", ["PII005"], "公务邮箱", "line", 1)]
    assert code == 0


def test_own_line_directive_does_not_reach_past_its_paragraph_line(repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    body = "<!-- wxpub-disable PII005: 公务邮箱 -->\n第一行 a@jcu.edu.cn\n第二行 b@jcu.edu.cn\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII005") == [("PII005", *where(index, "b@jcu"))]


def test_end_of_line_directive_covers_its_own_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("邮箱 a@jcu.edu.cn <!-- wxpub-disable PII005: 公务邮箱 -->\n"
            "邮箱 b@jcu.edu.cn\n")
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP002") == [("PII005", *where(index, "b@jcu"))]
    assert data["suppressions"] == [suppression(index, "<!-- wxpub", ["PII005"], "公务邮箱", "line", 1)]


def test_directive_before_the_text_on_the_same_line_covers_that_line(repo: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    body = "<!-- wxpub-disable PII005: 公务邮箱 --> 邮箱 a@jcu.edu.cn\n\n邮箱 b@jcu.edu.cn\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP002") == [("PII005", *where(index, "b@jcu"))]


def test_file_directive_covers_the_whole_article(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("<!-- wxpub-disable-file PII005: 均为公务邮箱 -->\n\n"
            "邮箱 a@jcu.edu.cn\n\n"
            "邮箱 b@jcu.edu.cn\n\n"
            "电话13812345678\n")
    index = write_article(repo, front_matter={"digest": "来信请寄 c@jcu.edu.cn"}, body=body)
    code, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "PII002") == [("PII002", *where(index, "13812345678"))]
    assert data["suppressions"] == [suppression(index, "<!-- wxpub", ["PII005"], "均为公务邮箱", "file", 3)]
    assert code == 1


def test_several_codes_in_one_directive(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("<!-- wxpub-disable PII002, PII005: 学校总机与公务邮箱 -->\n"
            "电话13812345678 邮箱 b@jcu.edu.cn\n\n"
            "电话13912345678\n")
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII002", "PII005") == [("PII002", *where(index, "13912345678"))]
    assert data["suppressions"] == [
        suppression(index, "<!-- wxpub", ["PII002", "PII005"], "学校总机与公务邮箱", "line", 2)]


def test_stacked_directives_both_cover_the_next_content_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("<!-- wxpub-disable PII002: 学校总机 -->\n"
            "<!-- wxpub-disable PII005: 公务邮箱 -->\n"
            "电话13812345678 邮箱 b@jcu.edu.cn\n")
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    assert spots(data, "PII002", "PII005", "SUP002") == []
    assert data["suppressions"] == [
        suppression(index, "<!-- wxpub", ["PII002"], "学校总机", "line", 1, 0),
        suppression(index, "<!-- wxpub", ["PII005"], "公务邮箱", "line", 1, 1),
    ]
    assert code == 0


def test_other_codes_on_the_covered_line_are_kept(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "<!-- wxpub-disable PII002: 学校总机 -->\n电话13812345678 邮箱 b@example.com\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII002", "PII005") == [("PII005", *where(index, "b@example"))]


def test_suppressing_the_only_error_makes_lint_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="<!-- wxpub-disable SEC001: 引用的是公开报道标题 -->\n报道《绝密档案》上映。\n")
    code, data = lint_json(repo, capsys)
    assert spots(data, "SEC001") == []
    assert data["suppressions"][0]["suppressed"] == 1
    assert code == 0


# --- misuse --------------------------------------------------------------------------------------


@pytest.mark.parametrize("directive", ["<!-- wxpub-disable PII005 -->", "<!-- wxpub-disable PII005: -->",
                                       "<!-- wxpub-disable PII005:    -->"])
def test_missing_reason_is_sup001_and_does_not_suppress(repo: Path, capsys: pytest.CaptureFixture[str],
                                                        directive: str) -> None:
    index = write_article(repo, body=f"{directive}\n邮箱 a@example.com\n")
    code, data = lint_json(repo, capsys)
    assert spots(data, "SUP001", "PII005") == [("SUP001", *where(index, directive)),
                                               ("PII005", *where(index, "a@example"))]
    problem = found(data, "SUP001")[0]
    assert problem["severity"] == "error"
    assert "抑制 PII005 时必须写明理由" in problem["message"]
    assert "<!-- wxpub-disable PII005: 理由 -->" in problem["message"]
    assert data["suppressions"] == []
    assert code == 1


@pytest.mark.parametrize("directive", ["<!-- wxpub-disable -->", "<!-- wxpub-disable pii005: 公务邮箱 -->",
                                       "<!-- wxpub-disable PII5: 公务邮箱 -->", "<!-- wxpub-disable-file -->",
                                       "<!-- wxpub-disable PII005 PII002: 少了逗号 -->"])
def test_malformed_directive_is_sup003(repo: Path, capsys: pytest.CaptureFixture[str], directive: str) -> None:
    index = write_article(repo, body=f"正文。 {directive}\n\n邮箱 a@example.com\n")
    code, data = lint_json(repo, capsys)
    assert spots(data, "SUP003", "SUP001", "PII005") == [("SUP003", *where(index, directive)),
                                                         ("PII005", *where(index, "a@example"))]
    assert where(index, directive)[1] == 5
    problem = found(data, "SUP003")[0]
    assert problem["severity"] == "error"
    assert "抑制注释格式应为 <!-- wxpub-disable 规则代码: 理由 -->" in problem["message"]
    assert problem["message"].endswith(WHAT_IS_WRONG[directive])  # which part to fix
    assert data["suppressions"] == []
    assert code == 1


WHAT_IS_WRONG = {
    "<!-- wxpub-disable -->": ";没有写规则代码", "<!-- wxpub-disable-file -->": ";没有写规则代码",
    "<!-- wxpub-disable pii005: 公务邮箱 -->": ";「pii005」不是规则代码(大写字母加三位数字,如 PII002,见检查结果中的代码)",
    "<!-- wxpub-disable PII5: 公务邮箱 -->": ";「PII5」不是规则代码(大写字母加三位数字,如 PII002,见检查结果中的代码)",
    "<!-- wxpub-disable PII005 PII002: 少了逗号 -->": ";多个代码之间要用逗号分开",
}


def test_a_number_in_a_malformed_directive_is_not_repeated(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="正文。\n\n<!-- wxpub-disable 13812345678: 公开电话 -->\n办公室 13812345678\n")
    _, data = lint_json(repo, capsys)
    [problem] = found(data, "SUP003")
    assert "不是规则代码" in problem["message"] and "1381234" not in json.dumps(data)


def test_unused_directive_is_sup002_and_still_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="<!-- wxpub-disable SEC001: 公开报道 -->\n普通内容,没有标记。\n")
    code, data = lint_json(repo, capsys)
    assert spots(data, "SUP002") == [("SUP002", line_of(index, "<!-- wxpub"), 1)]
    problem = found(data, "SUP002")[0]
    assert problem["severity"] == "warning"
    assert "抑制注释(SEC001)没有抑制任何问题" in problem["message"]
    assert data["suppressions"] == [suppression(index, "<!-- wxpub", ["SEC001"], "公开报道", "line", 0)]
    assert code == 0


def test_directive_for_a_later_line_is_unused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "<!-- wxpub-disable PII005: 公务邮箱 -->\n没有邮箱的一行。\n\n邮箱 a@example.com\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "SUP002", "PII005") == [("SUP002", line_of(index, "<!-- wxpub"), 1),
                                               ("PII005", *where(index, "a@example"))]


def test_directive_inside_a_code_block_is_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("写法示例:\n\n"
            "```markdown\n"
            "<!-- wxpub-disable-file PII005: 示例 -->\n"
            "<!-- wxpub-disable PII002 -->\n"
            "```\n\n"
            "邮箱 a@example.com\n")
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP001", "SUP002", "SUP003") == [("PII005", *where(index, "a@example"))]
    assert data["suppressions"] == []
    assert code == 0


def test_directive_in_inline_code_is_an_example_not_a_directive(repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    body = "写法是 `<!-- wxpub-disable PII005: 公务邮箱 -->`,例如 a@example.com\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP001", "SUP002", "SUP003") == [("PII005", *where(index, "a@example"))]
    assert data["suppressions"] == []


def test_real_directive_after_inline_code_on_the_same_line_works(repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    body = "用 `mailto:` 链接:a@jcu.edu.cn <!-- wxpub-disable PII005: 公务邮箱 -->\n"
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert spots(data, "PII005", "SUP002") == []
    assert data["suppressions"] == [suppression(index, "用 `mailto", ["PII005"], "公务邮箱", "line", 1)]


@pytest.mark.parametrize("body", [
    "<!-- wxpub-disable-file SUP001: 想跳过 -->\n\n<!-- wxpub-disable PII005 -->\n邮箱 a@example.com\n",
    "<!-- wxpub-disable PII005 --> <!-- wxpub-disable SUP001: 想跳过 -->\n邮箱 a@example.com\n",
])
def test_sup001_cannot_be_suppressed(repo: Path, capsys: pytest.CaptureFixture[str], body: str) -> None:
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    assert spots(data, "SUP001") == [("SUP001", *where(index, "<!-- wxpub-disable PII005"))]
    assert spots(data, "SUP002") == [("SUP002", line_of(index, "SUP001: 想跳过"), 1)]
    assert [s["suppressed"] for s in data["suppressions"]] == [0]
    assert code == 1


def test_sup003_cannot_be_suppressed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="<!-- wxpub-disable-file SUP003: 想跳过 -->\n\n<!-- wxpub-disable -->\n正文。\n")
    code, data = lint_json(repo, capsys)
    assert spots(data, "SUP003") == [("SUP003", *where(index, "<!-- wxpub-disable -->"))]
    assert [s["suppressed"] for s in data["suppressions"]] == [0]
    assert code == 1


# --- reporting ---------------------------------------------------------------------------------


def test_text_output_lists_each_suppression_with_reason_and_count(repo: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    body = ("<!-- wxpub-disable PII005: 公务邮箱 -->\n"
            "邮箱 a@jcu.edu.cn 和 b@jcu.edu.cn\n\n"
            "<!-- wxpub-disable SEC001: 公开报道 -->\n"
            "普通内容。\n")
    index = write_article(repo, body=body)
    code, out, _ = run_cli(repo, capsys, "lint", "--format", "text")
    first, second = line_of(index, "<!-- wxpub", 0), line_of(index, "<!-- wxpub", 1)
    assert f"已抑制:{ARTICLE}:{first}: PII005(理由:公务邮箱;2 处)" in out.splitlines()
    assert f"已抑制:{ARTICLE}:{second}: SEC001(理由:公开报道;0 处)" in out.splitlines()
    assert f"{ARTICLE}:{second}:1: 警告 SUP002 " in out
    assert out.splitlines()[-1].endswith("2 处抑制")
    assert "PII005 含电子邮箱" not in out
    assert code == 0


def test_full_width_colon_and_comma_are_accepted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Typed on a Chinese keyboard: ：and ，
    write_article(repo, body="<!-- wxpub-disable PII002，PII005：学院公开的联系方式 -->\n电话 13812345678，邮箱 a.b@example.com\n")
    code, report = lint_json(repo, capsys)
    assert code == 0
    assert report["findings"] == []
    [suppression] = report["suppressions"]
    assert suppression["codes"] == ["PII002", "PII005"] and suppression["reason"] == "学院公开的联系方式"
    assert suppression["suppressed"] == 2
