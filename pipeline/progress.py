"""Progress of long work (linting many articles, previewing a tree, publishing many messages)
as a bar on the terminal, drawn by tqdm on stderr.

A bar is for a person watching: it is drawn only when stdout and stderr are both terminals,
`CI` is not set, the terminal is not `dumb` and the command prints text for people (not
`--format json`, `sarif` or `github`). Otherwise every method does nothing, so callers never
ask whether anyone is looking. The bar goes to stderr and is erased when the work is done, so
it never mixes with what a command prints on stdout. tqdm is imported only when a bar is
drawn: `wxpub lint` in CI or in a pre-commit hook does not pay for it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

# Output formats meant for a person; the others are read by programs (CI annotations, SARIF, JSON)
FOR_PEOPLE = "text"


def bar_wanted(output_format: str = FOR_PEOPLE) -> bool:
    """Whether a person watches: text output, stdout and stderr on a terminal, not in CI."""
    return (output_format == FOR_PEOPLE and _terminal(sys.stdout) and _terminal(sys.stderr)
            and not os.environ.get("CI") and os.environ.get("TERM", "") != "dumb")


def _terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # a closed stream
        return False


@dataclass(frozen=True)
class Progress:
    """One bar (or none): `expect` the amount of work, `working_on` names the current item,
    `advance` counts finished ones, `note` prints a line above the bar. Use it as a context
    manager so the bar is erased however the work ends."""

    bar: tqdm[NoReturn] | None = None

    @classmethod
    def start(cls, label: str, unit: str, *, total: int = 0, shown: bool) -> Progress:
        if not shown:
            return cls()
        from tqdm import tqdm  # only when a bar is drawn

        return cls(tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True))

    def expect(self, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def working_on(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text)

    def advance(self, done: int = 1) -> None:
        if self.bar is not None and done:
            self.bar.update(done)

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        """Erase the bar (again is harmless): before a command prints its report."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
