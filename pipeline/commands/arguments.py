"""Argument types shared by the commands, checked by argparse with Chinese messages.

A value out of range is refused while the command line is parsed (exit 2, the usage and
what to write instead), never later as a traceback from the socket or process pool.
"""

from __future__ import annotations

import argparse
import datetime

MAX_PORT = 65535


def _integer(text: str, what: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}应为整数,收到「{text}」") from None


def port(text: str) -> int:
    """A TCP port to listen on: 0 (any free port) to 65535."""
    value = _integer(text, "端口")
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"端口应在 0 到 {MAX_PORT} 之间(0 表示自动选择空闲端口),收到 {value}")
    return value


def positive(text: str) -> int:
    """A count or number that starts at 1: processes, pull request numbers."""
    value = _integer(text, "该值")
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为不小于 1 的整数,收到 {value}")
    return value


def date(text: str) -> datetime.date:
    """A calendar date written YYYY-MM-DD (wxpub new --date, wxpub report --since/--until)."""
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是有效的日期:{text}(写作 YYYY-MM-DD,例如 2026-09-01)") from None
