"""The exit-code contract and the one error type that carries a user-facing message.

Every command returns one of these codes; `cli.main` is the only place that turns an
exception into a code, so the contract lives here and nowhere else.
"""

from __future__ import annotations

import enum
import errno


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


# The system's reason for a failed file or network call is English ("Address already in use",
# "File exists"); these are the ones a person running wxpub meets, said in Chinese. Any other
# keeps the system's words, after a Chinese lead, so nothing is lost.
_OS_REASONS = {
    errno.EEXIST: "已有同名的文件或目录",
    errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一段是文件而不是目录",
    errno.EISDIR: "这是一个目录,不是文件",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许这样操作(权限不足)",
    errno.EROFS: "文件系统是只读的",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EADDRINUSE: "端口已被占用",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EMFILE: "打开的文件太多",
}


def os_reason(error: OSError) -> str:
    """Why a file or network call failed, in Chinese, for the messages of UserError."""
    known = _OS_REASONS.get(error.errno) if error.errno is not None else None
    if known:
        return known
    return f"系统错误({error.strerror or error})"
