"""Code blocks as WeChat keeps them: Pygments colours as inline styles, `<br>` for line
breaks and `&nbsp;` for indentation (the draft API drops raw newlines inside code)."""

from __future__ import annotations

import functools
import re
from html import escape
from typing import TYPE_CHECKING, Iterator

from pygments.styles import get_style_by_name

if TYPE_CHECKING:  # Pygments' lexers are imported on the first fenced code block, not at start-up
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

TAB = "    "


@functools.cache
def _lexer(language: str) -> Lexer | None:
    """The lexer for a fence's language, or None for plain text (no language, an unknown one,
    or `text`): plain code needs no tokens. The lexer adds a final newline (`ensurenl`), which
    `_tokens` takes off again: session lexers (console, psql, iex...) drop a last line that
    does not end with one."""
    if not language:
        return None
    # here: pygments.lexers (its lexer table, RegexLexer) costs ~5 ms to import, and a pull
    # request's check of a few articles usually has no code block to colour
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None
    return None if isinstance(lexer, TextLexer) else lexer


@functools.cache
def _css(style_name: str, token_type: _TokenType) -> str:
    """Inline CSS for one token type (cached: a style has a few dozen types). A type the style
    does not list takes its nearest ancestor's style, as Pygments' own formatters do: some
    lexers emit types no style names (a KeyError that used to end the whole render)."""
    style = get_style_by_name(style_name)
    while True:
        try:
            spec = style.style_for_token(token_type)
            break
        except KeyError:
            token_type = token_type.parent  # Token itself is in every style, so this ends
    parts = []
    if spec["color"]:
        parts.append(f"color: #{spec['color']}")
    if spec["bold"]:
        parts.append("font-weight: bold")
    if spec["italic"]:
        parts.append("font-style: italic")
    return "; ".join(parts)


# A run of spaces inside a line: all but its last are &nbsp;, so none collapses; the last is a
# plain space, where a line too long for the phone may wrap (the theme's `pre` wraps). A run
# that starts a line is all &nbsp;: a plain space there would be dropped, and the indent with it.
_INNER_RUN = re.compile(r"  +")


def _inner_run(run: re.Match[str]) -> str:
    return "&nbsp;" * (len(run.group()) - 1) + " "


def _text(value: str, line_start: bool = True) -> str:
    """Escape, keep every space and line break visible without relying on white-space.
    `line_start`: whether `value` begins a line (or the code)."""
    lines = escape(value, quote=False).replace("\t", TAB).split("\n")
    for index, line in enumerate(lines):
        if " " not in line:
            continue
        body = line.lstrip(" ") if index or line_start else line
        lead = "&nbsp;" * (len(line) - len(body))
        lines[index] = lead + (_INNER_RUN.sub(_inner_run, body) if "  " in body else body)
    return "<br>".join(lines)


def _span(css: str, parts: list[str], line_start: bool) -> str:
    text = _text("".join(parts), line_start)
    return f'<span style="{css}">{text}</span>' if css else text


def _tokens(lexer: Lexer, code: str) -> Iterator[tuple[_TokenType, str]]:
    """The lexer's tokens for `code`, without the newline the lexer added at its end."""
    tokens = list(lexer.get_tokens(code))
    if not code.endswith("\n"):
        while tokens and not tokens[-1][1]:
            tokens.pop()
        if tokens and tokens[-1][1].endswith("\n"):
            token_type, value = tokens[-1]
            tokens[-1] = (token_type, value[:-1])
    return iter(tokens)


def highlight(code: str, language: str, style_name: str) -> str:
    code = code.rstrip("\n")
    lexer = _lexer(language.strip().split(" ")[0].lower() if language else "")
    if lexer is None:
        return _text(code)
    # Neighbouring tokens of one colour share a span, and so does the whitespace between
    # them (it has no colour to show): `))` is one span, not two, which keeps a long code
    # block under WeChat's 20,000-character limit for much longer.
    pieces: list[str] = []
    run: list[str] = []  # the text of the current span
    run_css = ""
    gap: list[str] = []  # whitespace since the last visible token, waiting to see who follows it
    line_start = True  # whether the next piece begins a line (or follows a plain space)

    def emit(text: str, css: str | None) -> None:
        nonlocal line_start
        pieces.append(_text(text, line_start) if css is None else _span(css, [text], line_start))
        # a piece after a plain space starts like a line: a second plain space would collapse
        line_start = text.endswith(("\n", " "))

    for token_type, value in _tokens(lexer, code):
        if not value.strip():
            gap.append(value)
            continue
        css = _css(style_name, token_type)
        if css == run_css:
            run.extend(gap)
        else:
            if run:
                emit("".join(run), run_css)
            if gap:
                emit("".join(gap), None)
            run, run_css = [], css
        run.append(value)
        gap = []
    if run:
        emit("".join(run), run_css)
    if gap:
        emit("".join(gap), None)
    return "".join(pieces)
