"""Syntax highlighting never ends a render: every lexer Pygments ships, in every code style a
shipped theme uses, over a snippet with the usual token kinds; and every Pygments style over
the lexers that emit token types some styles do not list (YAML among them)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from pygments.lexers import get_all_lexers
from pygments.styles import get_all_styles

from pipeline.render.highlight import highlight
from tests.testing.fixtures import PROJECT

SNIPPET = ("# comment\nkey: value\ndef f(x):\n    return x + 1  // 0x1F 2.5e3\n"
           "<a href=\"y\">z</a> 'c' \"s\" @decorator $var {k: [1, 2]} SELECT * FROM t;\n")
LEXERS = sorted(aliases[0] for _, aliases, *_ in get_all_lexers() if aliases)
THEME_STYLES = sorted({yaml.safe_load(path.read_text(encoding="utf-8"))["code_style"]
                       for path in (PROJECT / "themes").glob("*/theme.yaml")})


def shown(html: str) -> str:
    """The text a reader sees in a highlighted block."""
    return unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]*>", "", html))).replace("\xa0", " ")


@pytest.mark.parametrize("style", [*THEME_STYLES, "default"])
def test_every_lexer_highlights_the_snippet_and_keeps_every_character(style: str) -> None:
    failures = []
    for lexer in LEXERS:
        try:
            html = highlight(SNIPPET, lexer, style)
        except Exception as exc:  # the test reports every lexer that fails, not the first
            failures.append(f"{lexer}: {exc!r}")
            continue
        if shown(html) != SNIPPET.rstrip("\n").replace("\t", "    "):
            failures.append(f"{lexer}: text changed")
    assert len(LEXERS) > 500 and not failures, failures


@pytest.mark.parametrize("lexer", ["yaml", "postgresql", "prolog", "solidity", "lilypond", "teal"])
def test_every_style_highlights_lexers_with_unlisted_token_types(lexer: str) -> None:
    for style in get_all_styles():
        assert shown(highlight(SNIPPET, lexer, style)) == SNIPPET.rstrip("\n"), style


def test_an_article_with_yaml_and_console_blocks_renders_every_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.testing.fixtures import run_cli, write_article

    body = ("配置示例:\n\n```yaml\nname: 江城大学\nyears: [2025, 2026]\n```\n\n"
            "运行:\n\n```console\n$ wxpub lint\n全部通过\n```\n")
    index = write_article(repo, body=body)
    code, out, err = run_cli(repo, capsys, "render", str(index))
    assert code == 0, err
    text = shown(out)
    for line in ("name: 江城大学", "years: [2025, 2026]", "$ wxpub lint", "全部通过"):
        assert line in text, (line, out[-2000:])
