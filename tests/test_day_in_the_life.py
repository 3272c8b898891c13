"""A day in the life, end to end (issue 11): an editor's mistake caught on the pull request,
staged approvals made stale by a push and given again, merges, a publish run SIGKILLed
half-way and finished by the next, a notice that waits for the next publish window, a
retraction that keeps its sibling, and at the end the ledger, WeChat and Git in agreement.

The story and its checks live in tests/testing/day_in_the_life.py, shared with
examples/day_in_the_life.py (which shows it on screen), so the two cannot drift apart.
Real Git (a bare origin and clones), the fake GitHub over HTTP, the WeChat sandbox, and
`wxpub` run as processes, as CI runs it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.testing.day_in_the_life import STORY, StoryFailed, Transcript, play
from tests.testing.fixtures import PROJECT


def test_a_day_in_the_life(tmp_path: Path) -> None:
    transcript = Transcript()
    try:
        play(tmp_path, transcript)
    except StoryFailed as failure:
        pytest.fail(f"{failure}\n\n--- the story up to here ---\n{transcript.tail()}", pytrace=False)
    assert transcript.steps == [step.en for step in STORY]  # every step played, in order
    assert all(transcript.checks), dict(zip(transcript.steps, transcript.checks))  # each one checked something


def test_the_script_shows_the_story_on_screen() -> None:
    """examples/day_in_the_life.py plays the same story (here its first two steps) and shows
    each step in both languages, the commands and their output, and the checks."""
    script = PROJECT / "examples" / "day_in_the_life.py"
    result = subprocess.run([sys.executable, str(script), "--until", "2"], capture_output=True, text=True,
                            timeout=120, cwd=tempfile.gettempdir())  # runnable from anywhere
    assert result.returncode == 0, result.stdout + result.stderr
    for step in STORY[:2]:
        assert step.zh in result.stdout and step.en in result.stdout
    assert STORY[2].en not in result.stdout  # it stopped where asked
    assert "[editor] $ wxpub lint --changed-since origin/main --format github    # exit 1" in result.stdout
    assert ",title=PII002::疑似手机号码 138****5678" in result.stdout
    assert "✓ 检查失败(退出码 1)" in result.stdout and re.search(r"^2 steps done, \d+ checks passed", result.stdout, re.M)
