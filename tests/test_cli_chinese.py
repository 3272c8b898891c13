"""What an editor or reviewer reads from the command line is Chinese: argparse's headings,
help and errors, every option's help, and the prefixes of our own messages.

Every subcommand's --help and a set of wrong command lines are scanned for ASCII words; the
only ones allowed are what a person types or names (wxpub, commands, flags, metavars, choice
values, rule codes, file names and paths, environment variables, the words they typed) and a
short list of proper names and abbreviations, each there for a reason."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS, build_parser, main

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
