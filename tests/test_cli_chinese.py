"""What an editor or reviewer reads from the command line is Chinese: argparse's headings,
help and errors, every option's help, and the prefixes of our own messages.

Every subcommand's --help and a set of wrong command lines are scanned for ASCII words; the
only ones allowed are what a person types or names (wxpub, commands, flags, metavars, choice
values, rule codes, file names and paths, environment variables, the words they typed) and a
short list of proper names and abbreviations, each there for a reason."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline
from pipeline.cli import COMMANDS, build_parser, main
from pipeline.errors import os_reason
from tests.testing.fixtures import jpeg_bytes, write_article

# Names and abbreviations Chinese documentation writes in Latin letters too
TERMS = frozenset({"wxpub", "GitHub", "CI", "HTML", "HTTP", "GPS", "CPU", "SQLite", "Ctrl-C", "UTF-8", "HEAD",
                   "main", "origin", "Git", "IP", "ID", "Markdown", "JPEG", "AppID", "AppSecret", "JSON"})
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*")
TOKEN = re.compile(r"[^\s,;:()\[\]{}'\"「」(),;:、。|=]+")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser a person can ask for help: wxpub, each command, each nested action."""
    found = {"": build_parser()}
    for name in COMMANDS:
        parser = build_parser(name)
        sub = _subparsers(parser)[name]
        found[name] = sub
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                found.update({f"{name} {n}": p for n, p in action.choices.items()})
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _vocabulary() -> set[str]:
    """What the parsers themselves name: commands, flags, metavars, choices."""
    words = set(COMMANDS)
    for parser in _parsers().values():
        for action in parser._actions:
            words.update(action.option_strings)
            if isinstance(action.metavar, str):
                words.add(action.metavar)
            words.update(str(c) for c in (action.choices or ()))
            words.add(action.dest.upper())
    return words


def english_words(text: str, typed: tuple[str, ...] = ()) -> list[str]:
    allowed = _vocabulary() | TERMS | {part for word in typed for part in word.split("=")}
    bad = []
    for token in TOKEN.findall(text):
        token = token.strip(".")
        if not WORD.search(token) or token in allowed or token.lstrip("-") in allowed:
            continue
        if token.startswith("-") or "/" in token or "." in token:  # a flag, a path or file name
            continue
        if re.fullmatch(r"\$?[A-Z][A-Z0-9_]*", token) or re.fullmatch(r"[A-Z]+[0-9]+", token):
            continue  # a metavar, an environment variable, a rule code
        if re.fullmatch(r"[0-9:\-]+|YYYY-MM-DD|HH:MM|[0-9]+[A-Za-z]{1,2}", token):
            continue
        bad.extend(w for w in WORD.findall(token) if w not in allowed)
    return bad


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("command", sorted(_parsers()), ids=lambda c: c or "wxpub")
def test_help_is_chinese(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run([*command.split(), "--help"], capsys)
    assert code == 0
    assert "用法:" in text and "选项:" in text and "显示本帮助并退出" in text
    assert english_words(text) == [], text


@pytest.mark.parametrize("command", sorted(_parsers()), ids=lambda c: c or "wxpub")
def test_every_option_has_help(command: str) -> None:
    parser = _parsers()[command]
    missing = [a.option_strings or a.dest for a in parser._actions
               if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert missing == []


ERRORS = [
    (["publish", "--format", "xml"], "无效的取值"),
    (["approvals"], "缺少必需的参数"),
    (["lint", "--no-such-flag"], "无法识别的参数"),
    (["publish", "--now"], "需要一个取值"),
    (["serve", "--port", "http"], "端口应为整数"),
    (["frobnicate"], "无效的取值"),
    (["init"], "缺少必需的参数"),
    (["sandbox"], "缺少必需的参数"),
    (["publish", "--sand"], "不明确"),  # --sandbox or --sandbox-url
    (["status", "--verify=yes"], "该选项不接受取值"),
]


@pytest.mark.parametrize(("argv", "said"), ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_wrong_command_lines_are_explained_in_chinese(argv: list[str], said: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(argv, capsys)
    assert code == 2
    assert "用法:" in text and "错误:" in text and said in text, text
    assert "Traceback" not in text
    assert english_words(text, typed=tuple(argv)) == [], text


def test_our_own_errors_say_hint_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(["--root", str(tmp_path), "lint"], capsys)  # no policies.yaml
    assert code == 2 and "提示:" in text and "Hint" not in text, text


@given(code=st.sampled_from(sorted(errno.errorcode)))
def test_a_failed_file_or_network_call_is_said_in_chinese(code: int) -> None:
    """Walking through, `wxpub serve` on a busy port said 'Address already in use' to an editor:
    every OSError a command turns into a message goes through os_reason."""
    said = os_reason(OSError(code, os.strerror(code)))
    assert re.search(r"[\u4e00-\u9fff]", said)
    assert said.startswith("系统错误(") or os.strerror(code) not in said


def test_every_command_words_an_os_error_through_os_reason() -> None:
    """No message built from an OSError's English strerror is left in the package."""
    offenders = [f"{path.relative_to(PACKAGE)}:{n}" for path in PACKAGE.rglob("*.py")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "strerror" in line and path.name != "errors.py"]
    assert offenders == []


# -- lint's text output: what an editor reads in a terminal or a pre-commit hook ----------------

# Latin-letter words lint's Chinese messages name on purpose: the format names editors see in
# their own tools, proper names, and the key words of the article's YAML
PACKAGE = Path(pipeline.__file__).parent
LINT_TERMS = frozenset({"YAML", "front", "matter", "EXIF", "PNG", "GIF", "MP4", "FLV", "F4V", "Word", "Tab",
                        "base64", "URL"})
UNICODE_NAME = re.compile(r"U\+[0-9A-F]{4,6}\([A-Z0-9 \-]+\)")  # a character's standard name after its code


def _faulty_repo(repo: Path) -> tuple[str, ...]:
    """Articles that break as many rules as one can: returns every word the editor typed."""
    word = next(line for line in (repo / "policies/wordlists/prohibited.txt").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#"))
    body = ("# 一级标题\n\n#### 跳级\n\n##\n\n电话 13812345678，邮箱 office@example.edu.cn，身份证 11010519491231002X，"
            "学号 2021012345，银行卡 6222021234567890123。\n\n本文为内部资料，不得外传！！！！！！！江大计院\n\n"
            f"{word}\n\n详见 [官网](https://www.example.edu.cn/)、[上级](../x.md)、[缺](missing.md)\n\n"
            "![图](http://example.com/a.png) ![缺图](nope.jpg) ![gps](gps.jpg) ![png](fake.png) ![动图](a.gif)\n\n"
            "含\u200b零宽。Hello世界\n\n[^1]: 未引用\n\n| a |\n|---|\n| 1 | 2 |\n\n点击报名 招生计划\n\n"
            "<!-- wxpub-disable PII005 -->\n<!-- wxpub-disable PII001: 无用 -->\n\n" + "长" * 10050 + "\n")
    write_article(repo, body=body, drop=("original",), files={
        "cover.jpg": jpeg_bytes(100, 100, fmt="PNG"), "gps.jpg": jpeg_bytes(gps=True), "fake.png": jpeg_bytes(),
        "a.gif": b"GIF89a" + bytes(20)},
        front_matter={"title": "标" * 40, "author": "作" * 20, "category": "不存在", "digest": "摘" * 200,
                      "publish_at": "tomorrow", "classification": "secret", "categroy": "x", "comments": "maybe",
                      "source": {"name": "报", "url": "ftp://x"}, "read_more": "not a url"})
    write_article(repo, slug="bad-slug", department="leadership")
    write_article(repo, account="nosuch", slug="2026-01-01-x")
    write_article(repo, department="leadership", slug="2026-10-23-moved", front_matter={"department": "publicity"})
    write_article(repo, slug="2026-10-24-empty", body="")
    write_article(repo, slug="2026-10-21-broken", raw="---\ntitle: [\n---\n正文\n")
    write_article(repo, slug="2026-10-25-tab", raw="---\ntitle: 标题\n\tauthor: 王芳\n---\n正文\n")
    write_article(repo, slug="2026-10-26-date", raw="---\ntitle: 标题\npublish_at: 2026-02-30\n---\n正文\n")
    write_article(repo, slug="2026-10-27-bell", raw="---\ntitle: 标\a题\n---\n正文\n")
    write_article(repo, slug="2026-10-28-quote", raw="---\ntitle: \"标题\n---\n正文\n")
    write_article(repo, slug="2026-10-22-nofm", raw="正文没有 front matter\n")
    typed = " ".join(p.read_text(encoding="utf-8") + " " + str(p.relative_to(repo))
                     for p in (repo / "content").rglob("index.md"))
    return tuple(WORD.findall(typed))


def test_lint_text_output_is_chinese(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every severity word, message and summary of `wxpub lint` in text format, and the job
    summary table reviewers read on GitHub, is Chinese: the only Latin words are rule codes,
    paths, what the editor typed (quoted back), the names of front matter keys and their
    values, and LINT_TERMS."""
    from pipeline.schema_check import load_schema
    typed = _faulty_repo(repo)
    schema = load_schema("front-matter.schema.json")
    fields = [*schema["properties"], *schema["properties"]["source"]["properties"],  # keys and values editors write
              *(str(v) for prop in schema["properties"].values() for v in prop.get("enum", ())), "true", "false"]
    policy = (repo / "policies.yaml").read_text(encoding="utf-8")  # account and department ids
    code, text = _run(["--root", str(repo), "lint", "--format", "text"], capsys)
    assert code == 1 and "Traceback" not in text
    codes = set(re.findall(r": (?:错误|警告|提示) ([A-Z]+[0-9]{3}) ", text))
    assert len(codes) >= 40, sorted(codes)  # the net is wide: a shrinking fixture fails here
    for english in ("error", "warning", "notice", "did not find", "out of range", "应匹配"):
        assert english not in text, english
    allowed = (*typed, *LINT_TERMS, *fields, *re.findall(r"^  ([a-z][a-z0-9-]*):$", policy, re.M))
    assert english_words(UNICODE_NAME.sub("", text), typed=allowed) == [], text
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _ = _run(["--root", str(repo), "lint", "--format", "github"], capsys)
    table = summary.read_text(encoding="utf-8")
    assert code == 1 and "| 错误 |" in table and "| 警告 |" in table and "| 提示 |" in table
    assert english_words(UNICODE_NAME.sub("", table), typed=allowed) == [], table


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_machine_formats_keep_english_severities(repo: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    write_article(repo, body="电话 13812345678。\n\n来信请寄 office@example.edu.cn。\n")
    _, out = _run(["--root", str(repo), "lint", "--format", fmt], capsys)
    if fmt == "json":
        assert [f["severity"] for f in json.loads(out)["findings"]] == ["error", "warning"]
    elif fmt == "sarif":
        assert [r["level"] for r in json.loads(out)["runs"][0]["results"]] == ["error", "warning"]
    else:
        assert [line.split(" ", 1)[0] for line in out.splitlines() if line.startswith("::")] == ["::error", "::warning"]


# YAML that is nearly right, the way an editor gets it wrong: keys, colons, quotes, brackets,
# indentation, tabs, anchors, tags, directives, control characters, dates that do not exist
YAML_PIECES = st.sampled_from(["title", "digest", ":", ": ", " ", "  ", "\t", "\n", "- ", "'", '"', "[", "]", "{", "}",
                               ",", "&a ", "*a", "*b", "!!int ", "!x ", "!<", "%YAML 1.1\n", "---\n", "? ", "|", ">",
                               "@", "`", "#", "\\q", "2026-02-30", "2026-13-01", "12:61", "0x", "\a", "\x1b", "标题", "王芳"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(YAML_PIECES, min_size=1, max_size=14).map("".join))
def test_every_yaml_problem_is_explained_in_chinese(text: str) -> None:
    """Whatever libyaml or Python says about YAML, the loader's message (which lint, the policy
    loader and the themes show) carries no English but what the editor wrote and 'YAML'."""
    from pipeline.yamlpos import YamlBudgetError, YamlSyntaxError, YamlValueError, load_positioned
    try:
        load_positioned(text)
    except (YamlSyntaxError, YamlValueError, YamlBudgetError) as exc:
        written = set(WORD.findall(text)) | {"YAML", "Tab", "Word"}
        assert [w for w in WORD.findall(exc.message) if w not in written] == [], (text, exc.message)
