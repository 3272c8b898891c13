"""The exit-code contract and the one error type that carries a user-facing message.

Every command returns one of these codes; `cli.main` is the only place that turns an
exception into a code, so the contract lives here and nowhere else.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # errors found (or warnings under --strict)
    USAGE = 2  # bad command line or configuration: the user can fix it
    BUG = 3  # an unexpected exception: a defect in wxpub


class UserError(Exception):
    """A problem the user can fix: bad configuration, a missing file, a wrong argument.

    `where` is `path` or `path:line`; `hint` says how to fix it. The CLI prints both and
    exits with ExitCode.USAGE, never a traceback.
    """

    def __init__(self, message: str, *, where: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}\n  提示:{self.hint}" if self.hint else text
