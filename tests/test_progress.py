"""Progress bars (pipeline/progress.py) on a real pseudo-terminal: drawn on stderr while lint,
preview and publish work when a person watches, never on stdout, and absent when either
stream is not a terminal, when CI is set, and with --format json."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.testing.fixtures import PROJECT, commit_all, make_repo

LINT_BAR, PREVIEW_BAR, PUBLISH_BAR = "检查文章", "生成预览", "发布消息"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def _terminal() -> tuple[int, int]:
    """A pseudo-terminal 100 columns wide: (the side we read, the side the command writes)."""
    reader, writer = pty.openpty()
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    return reader, writer


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the command closed its side
            return
        if not chunk:
            return
        into.append(chunk)


def run(root: Path, *args: str, out_tty: bool = True, err_tty: bool = True, ci: bool = False) -> Ran:
    """`python -m pipeline ARGS` in `root`, stdout and stderr each on its own terminal or pipe."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    env |= {"TERM": "xterm-256color", **({"CI": "true"} if ci else {})}
    streams: list[tuple[int, int | None]] = []
    for tty in (out_tty, err_tty):
        streams.append(_terminal() if tty else os.pipe())
    chunks: list[list[bytes]] = [[], []]
    process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=root, env=env,
                               stdin=subprocess.DEVNULL, stdout=streams[0][1], stderr=streams[1][1])
    readers = []
    for (reader, writer), into in zip(streams, chunks):
        os.close(writer)
        thread = threading.Thread(target=_drain, args=(reader, into), daemon=True)
        thread.start()
        readers.append(thread)
    code = process.wait(timeout=300)
    for thread in readers:
        thread.join(timeout=30)
    for reader, _ in streams:
        os.close(reader)
    out, err = (b"".join(c).decode("utf-8", "replace").replace("\r\n", "\n") for c in chunks)
    return Ran(code, out, err)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository holding the sample articles, committed (the publisher reads the commit)."""
    root = make_repo(tmp_path_factory.mktemp("progress"))
    shutil.copytree(PROJECT / "content", root / "content")
    commit_all(root, "the sample articles")
    return root


def test_lint_draws_a_bar_on_stderr_of_a_terminal_and_nothing_on_stdout(school: Path) -> None:
    ran = run(school, "lint", "--no-cache")
    assert LINT_BAR in ran.err and "篇" in ran.err
    articles = sum(1 for _ in (school / "content").rglob("index.md"))
    assert f"/{articles} [" in ran.err  # the bar knows how much work there is
    assert LINT_BAR not in ran.out and f"共检查 {articles} 篇文章" in ran.out


@pytest.mark.parametrize(("out_tty", "err_tty", "ci"), [(True, False, False), (False, True, False), (True, True, True)])
def test_lint_draws_nothing_without_a_terminal_or_in_ci(school: Path, out_tty: bool, err_tty: bool, ci: bool) -> None:
    ran = run(school, "lint", "--no-cache", out_tty=out_tty, err_tty=err_tty, ci=ci)
    assert LINT_BAR not in ran.err + ran.out
    assert "\r" not in ran.err  # no bar redrawn in place
    assert "共检查" in ran.out


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_machine_formats_draw_nothing_even_on_a_terminal(school: Path, fmt: str) -> None:
    ran = run(school, "lint", "--no-cache", "--format", fmt)
    assert LINT_BAR not in ran.err + ran.out
    if fmt != "github":
        json.loads(ran.out)


@pytest.mark.parametrize("cached", [False, True])
def test_every_article_is_counted_once_linted_or_from_the_cache(school: Path, tmp_path: Path, cached: bool) -> None:
    from tqdm import tqdm

    from pipeline.content import find_bundles
    from pipeline.lint.cache import FindingsCache
    from pipeline.lint.engine import lint_bundles
    from pipeline.policies import load_policies
    from pipeline.progress import Progress

    policies = load_policies(school)
    bundles = list(find_bundles(school))
    cache = FindingsCache.open(school, policies, tmp_path / "cache") if cached else None
    if cache is not None:
        lint_bundles(school, policies, bundles[::2], cache=cache)  # half of them are served from the cache
    with open(os.devnull, "w", encoding="utf-8") as sink:
        bar = Progress(tqdm(total=0, file=sink, mininterval=0))
        lint_bundles(school, policies, bundles, cache=cache, progress=bar)
        assert bar.bar is not None and (bar.bar.n, bar.bar.total) == (len(bundles), len(bundles))
        bar.close()


def test_preview_draws_a_bar_on_a_terminal_only(school: Path, tmp_path: Path) -> None:
    ran = run(school, "preview", "-o", str(tmp_path / "a"))
    assert ran.code == 0 and PREVIEW_BAR in ran.err and PREVIEW_BAR not in ran.out
    quiet = run(school, "preview", "-o", str(tmp_path / "b"), out_tty=False, err_tty=False)
    assert quiet.code == 0 and PREVIEW_BAR not in quiet.err + quiet.out


def test_publish_draws_a_bar_on_a_terminal_and_none_with_json(school: Path) -> None:
    quiet = run(school, "publish", "--sandbox", "--now", "2026-11-30 12:30", "--dry-run", "--format", "json")
    assert PUBLISH_BAR not in quiet.err + quiet.out
    planned = json.loads(quiet.out)["planned"]
    assert len(planned) >= 2  # more than one message's worth of work to show
    ran = run(school, "publish", "--sandbox", "--now", "2026-11-30 12:30")
    assert ran.code == 0, ran.out + ran.err
    assert PUBLISH_BAR in ran.err and PUBLISH_BAR not in ran.out
    assert "本次:" in ran.out
