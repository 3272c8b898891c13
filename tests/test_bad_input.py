"""Input that is not a well-formed article or policy: a clear finding or error, never a traceback.

Every case checks the exit-code contract (1: findings, 2: the user must fix the command or
the configuration; 3 would mean a wxpub bug) and that stderr carries no Python traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.testing.fixtures import SAMPLE_POLICY, VALID_FM, jpeg_bytes, lint_json, make_repo, only, run_cli, write_article

BODY = "\n学校举行秋季运动会，全校师生参加。\n"
VALID = f"---\n{VALID_FM}---\n{BODY}"  # VALID_FM is lines 2-7 of index.md

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """`wxpub --root REPO ARGS...`: (exit code, stdout, stderr), holding the contract for bad input."""
    def call(repo: Path, *args: str) -> tuple[int, str, str]:
        code, out, err = run_cli(repo, capsys, *args)  # no traceback on stderr
        assert "Traceback" not in out, err
        assert "内部错误" not in err, err
        assert code in (1, 2), (code, out, err)
        return code, out, err
    return call


def lint_findings(run: Run, repo: Path) -> list[dict[str, Any]]:
    code, out, _ = run(repo, "lint", "--format", "json")
    assert code == 1
    return list(json.loads(out)["findings"])


# -- unreadable front matter: ART002, ART003 -------------------------------------------------------

@pytest.mark.parametrize(("bad_line", "column", "why"), [
    ("digest: 时间: 10 月 20 日", 11, "这里不能再出现“键: 值”"),  # a second unquoted colon
    ("  digest: 摘要", 9, "这里不能再出现“键: 值”"),  # indented under `original: true`
    ("\tdigest: 摘要", 1, "制表符"),
    ("digest: @王芳", 9, "YAML 不允许的字符开头"),
    ("- 运动会", 1, "这里应是“键: 值”"),  # a list item among the keys
])
def test_malformed_yaml_is_art003_on_its_line(repo: Path, run: Run, bad_line: str, column: int, why: str) -> None:
    write_article(repo, raw=f"---\n{VALID_FM}{bad_line}\n---\n{BODY}")
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"], finding["column"]) == ("ART003", 8, column)
    assert finding["message"].startswith("front matter 的 YAML 语法错误:") and why in finding["message"]
    assert finding["path"] == "content/official/publicity/2026-10-20-sports-day/index.md"


@pytest.mark.parametrize(("bad_line", "column", "why"), [
    ("publish_at: 2026-02-30", 13, "日期不存在"),  # YAML reads it as a date
    ("publish_at: 2026-02-30 10:00:00", 13, "日期不存在"),
    ("priority: !!int 二", 11, "不是有效的数字"),
    ("priority: !!int", 11, "无法识别的值"),  # PyYAML's int constructor indexes the empty text: was exit 3
    ("priority: !!float", 11, "无法识别的值"),
    ("digest: !!binary aGVsbG8=", 9, "二进制值"),
    ("digest: !lang zh", 9, "不支持的类型标签"),
    ("2026-13-01: 日期当键", 1, "月份应在 1 到 12 之间"),
])
def test_yaml_value_that_cannot_be_built_is_art003(repo: Path, run: Run, bad_line: str, column: int, why: str) -> None:
    write_article(repo, raw=f"---\n{VALID_FM}{bad_line}\n---\n{BODY}")
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"], finding["column"]) == ("ART003", 8, column)
    assert finding["message"].startswith("front matter 中的值无法识别(") and why in finding["message"]
    assert "加引号" in finding["message"]


@pytest.mark.parametrize(("bad_line", "column", "said"), [
    ("author: 王芳", 1, "重复的键 `author`(第 3 行已经写过);请删去其中一行"),  # seen walking through as an editor
    ("<<: {a: 1}", 1, "不支持合并键 <<;请把要用的键逐个写出"),
])
def test_a_yaml_mistake_with_its_own_fix_is_told_only_that(repo: Path, run: Run, bad_line: str, column: int,
                                                            said: str) -> None:
    """A repeated key used to get the generic advice for impossible dates and type tags as well."""
    write_article(repo, raw=f"---\n{VALID_FM}{bad_line}\n---\n{BODY}")
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"], finding["column"]) == ("ART003", 8, column)
    assert finding["message"].startswith(f"front matter 有误:{said}")
    assert "2026-02-30" not in finding["message"] and "!!" not in finding["message"]


def test_quoted_impossible_date_reaches_the_front_matter_rule(repo: Path, run: Run) -> None:
    write_article(repo, raw=f'---\n{VALID_FM}publish_at: "2026-02-30 10:00"\n---\n{BODY}')
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("FM013", 8)


def test_front_matter_that_is_a_list_is_art003(repo: Path, run: Run) -> None:
    write_article(repo, raw=f"---\n- title\n- author\n---\n{BODY}")
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("ART003", 2)
    assert "应为“键: 值”的映射" in finding["message"]


@pytest.mark.parametrize("text", [
    BODY,  # no front matter at all
    f"{VALID_FM}---\n{BODY}",  # the opening --- forgotten
    f"---\n{VALID_FM}{BODY}",  # the closing --- forgotten
    f"\n---\n{VALID_FM}---\n{BODY}",  # a blank line before the opening ---
    "",  # an empty file
])
def test_missing_front_matter_is_art002(repo: Path, run: Run, text: str) -> None:
    write_article(repo, raw=text)
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"], finding["column"]) == ("ART002", 1, 1)
    assert "缺少 YAML front matter" in finding["message"]


# -- unreadable files: ART001, ART004 ------------------------------------------------------------------

def test_gbk_file_is_art001_at_first_non_utf8_line(repo: Path, run: Run) -> None:
    index = write_article(repo)
    index.write_bytes(VALID.encode("gbk"))
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("ART001", 2)  # the title is the first non-ASCII text
    assert "文件不是 UTF-8 编码" in finding["message"] and "GBK" in finding["message"]


def test_binary_file_named_index_md_is_art001(repo: Path, run: Run) -> None:
    index = write_article(repo)
    index.write_bytes(jpeg_bytes())
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("ART001", 1)
    assert "这是二进制文件,不是 Markdown 文本" in finding["message"]


def test_two_megabyte_index_md_is_art001(repo: Path, run: Run) -> None:
    index = write_article(repo)
    index.write_text(VALID + "正文内容，" * 150_000, encoding="utf-8")
    assert index.stat().st_size > 2 * 1024 * 1024
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("ART001", 1)
    assert "文件过大(" in finding["message"] and "上限 1024 KB" in finding["message"]


def test_index_md_symlink_outside_repo_is_art004(tmp_path: Path, repo: Path, run: Run) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(VALID, encoding="utf-8")
    index = write_article(repo)
    index.unlink()
    os.symlink(outside, index)
    finding = only(lint_findings(run, repo))
    assert (finding["code"], finding["line"]) == ("ART004", 1)
    assert "index.md 或其所在目录是符号链接" in finding["message"]


def test_index_md_symlink_inside_the_repo_is_art004_too(repo: Path, run: Run) -> None:
    other = write_article(repo, slug="2026-10-19-original")
    index = write_article(repo)
    index.unlink()
    os.symlink(other, index)
    [finding] = [f for f in lint_findings(run, repo) if f["path"] == str(index.relative_to(repo))]
    assert (finding["code"], finding["line"]) == ("ART004", 1)


def test_broken_article_does_not_hide_the_others(repo: Path, run: Run) -> None:
    write_article(repo, slug="2026-10-19-broken").write_bytes(VALID.encode("gbk"))
    write_article(repo, slug="2026-10-21-no-source", raw=f"---\n{VALID_FM.replace('original: true', 'original: false')}---\n{BODY}")
    write_article(repo, slug="2026-10-22-fine")
    findings = lint_findings(run, repo)
    assert [(f["path"].split("/")[3], f["code"]) for f in findings] == [("2026-10-19-broken", "ART001"),
                                                                         ("2026-10-21-no-source", "FM009")]


def test_bom_and_crlf_are_accepted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo)
    index.write_bytes(("\ufeff" + VALID).replace("\n", "\r\n").encode("utf-8"))
    code, data = lint_json(repo, capsys)
    assert code == 0
    assert data["findings"] == []


# -- bad command lines and configuration: exit 2 ---------------------------------------------------------

def test_nonexistent_path_exits_2(repo: Path, run: Run) -> None:
    write_article(repo)
    missing = repo / "content" / "official" / "publicity" / "2026-10-20-no-such-article"
    code, out, err = run(repo, "lint", str(missing))
    assert code == 2
    assert out == ""
    assert f"路径不存在:{missing}" in err


def test_path_outside_repo_exits_2(tmp_path: Path, repo: Path, run: Run) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = run(repo, "lint", str(elsewhere))
    assert code == 2
    assert "不在仓库" in err


def test_malformed_policies_yaml_exits_2_with_its_line(tmp_path: Path, run: Run) -> None:
    assert SAMPLE_POLICY.split("\n")[7] == "school: 江城大学"
    repo = make_repo(tmp_path, policies=SAMPLE_POLICY.replace("school: 江城大学", "school: 江城大学: 分校"))
    write_article(repo)
    code, out, err = run(repo, "lint")
    assert code == 2
    assert out == ""
    assert "policies.yaml:8:" in err and "YAML 语法错误" in err


def test_invalid_policy_value_exits_2_with_its_line(tmp_path: Path, run: Run) -> None:
    lines = SAMPLE_POLICY.split("\n")
    line = lines.index("  max_chars: 1200                                 # 正文一般不超过 1200 字 (第十条)") + 1
    repo = make_repo(tmp_path, policies=SAMPLE_POLICY.replace("max_chars: 1200 ", "max_chars: 很多 "))
    write_article(repo)
    code, _, err = run(repo, "lint")
    assert code == 2
    assert f"policies.yaml:{line}: content.max_chars:" in err and "应为整数" in err


def test_policies_yaml_not_utf8_exits_2(tmp_path: Path, run: Run) -> None:
    repo = make_repo(tmp_path)
    (repo / "policies.yaml").write_bytes(SAMPLE_POLICY.encode("gbk"))
    code, _, err = run(repo, "lint")
    assert code == 2
    assert "policies.yaml" in err and "UTF-8" in err


def test_missing_policies_yaml_exits_2(tmp_path: Path, run: Run) -> None:
    repo = make_repo(tmp_path)
    (repo / "policies.yaml").unlink()
    code, _, err = run(repo, "lint")
    assert code == 2
    assert "找不到 policies.yaml" in err
