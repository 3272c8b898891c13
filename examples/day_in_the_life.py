"""A day in the life of wxpub, on screen: the story tests/test_day_in_the_life.py checks.

    .venv/bin/python examples/day_in_the_life.py [--until N] [--keep]

Each step is printed in Chinese and English with the commands run (by the editor, by
reviewers on GitHub, by CI on the runner) and their output, and every check the story makes.
Everything happens in a temporary folder, against the WeChat sandbox and a fake GitHub on
127.0.0.1: no network, no accounts, nothing left behind (unless --keep, to look around;
with --until N the day stops after step N).
The story itself is tests/testing/day_in_the_life.py; this script only shows it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))  # run from a checkout: the story lives under tests/testing/

from tests.testing.day_in_the_life import STORY, Ran, StoryFailed, play  # noqa: E402

MAX_LINES = 24  # of one command's output; the rest is elided


class Screen:
    """Prints the story as it happens."""

    def __init__(self) -> None:
        self.checks = 0

    def step(self, number: int, zh: str, en: str) -> None:
        print(f"\n{'=' * 78}\n{number:>2}/{len(STORY)}  {zh}\n       {en}\n{'=' * 78}", flush=True)

    def ran(self, ran: Ran) -> None:
        status = "killed (SIGKILL)" if ran.code is None else f"exit {ran.code}"
        print(f"\n  [{ran.who}] $ {ran.shown}    # {status}")
        lines = (ran.out + ran.err).rstrip("\n").splitlines()
        for line in lines[:MAX_LINES]:
            print(textwrap.indent(line, "      ") if line else "")
        if len(lines) > MAX_LINES:
            print(f"      … ({len(lines) - MAX_LINES} more lines)")
        sys.stdout.flush()

    def checked(self, zh: str, en: str) -> None:
        self.checks += 1
        print(f"  ✓ {zh}\n    {en}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--until", type=int, metavar="N", choices=range(1, len(STORY) + 1),
                        help=f"stop after step N (1-{len(STORY)})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    screen = Screen()
    started = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="wxpub-day-"))
    try:
        play(home, screen, args.until)
    except StoryFailed as failure:
        print(f"\n  ✗ {failure}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"\nThe repositories, the ledger and the sandbox are kept in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    steps, seconds = args.until or len(STORY), time.monotonic() - started
    print(f"\n{steps} 步完成,{screen.checks} 项检查通过({seconds:.1f} 秒)。"
          f"\n{steps} steps done, {screen.checks} checks passed ({seconds:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
