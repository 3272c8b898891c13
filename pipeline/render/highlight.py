"""Code blocks as WeChat keeps them: Pygments colours as inline styles, `<br>` for line
breaks and `&nbsp;` for indentation (the draft API drops raw newlines inside code)."""

from __future__ import annotations

import functools
from html import escape

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

TAB = "    "


@functools.cache
def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False) if language else TextLexer()
    except ClassNotFound:
        return TextLexer()


@functools.cache
def _css(style_name: str, token_type: _TokenType) -> str:
    """Inline CSS for one token type (cached: a style has a few dozen types)."""
    spec = get_style_by_name(style_name).style_for_token(token_type)
    parts = []
    if spec["color"]:
        parts.append(f"color: #{spec['color']}")
    if spec["bold"]:
        parts.append("font-weight: bold")
    if spec["italic"]:
        parts.append("font-style: italic")
    return "; ".join(parts)


def _text(value: str) -> str:
    """Escape, keep every space and line break visible without relying on white-space."""
    out = escape(value, quote=False).replace("\t", TAB)
    out = out.replace(" ", "&nbsp;")
    return out.replace("\n", "<br>")


def highlight(code: str, language: str, style_name: str) -> str:
    code = code.rstrip("\n")
    lexer = _lexer(language.strip().split(" ")[0].lower() if language else "")
    pieces = []
    for token_type, value in lexer.get_tokens(code):
        css = _css(style_name, token_type) if not isinstance(lexer, TextLexer) else ""
        text = _text(value)
        pieces.append(f'<span style="{css}">{text}</span>' if css and value.strip() else text)
    return "".join(pieces)
