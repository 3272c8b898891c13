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

from pathlib import Path

import pytest

from tests.testing.day_in_the_life import STORY, StoryFailed, Transcript, play


def test_a_day_in_the_life(tmp_path: Path) -> None:
    transcript = Transcript()
    try:
        play(tmp_path, transcript)
    except StoryFailed as failure:
        pytest.fail(f"{failure}\n\n--- the story up to here ---\n{transcript.tail()}", pytrace=False)
    assert transcript.steps == [step.en for step in STORY]  # every step played, in order
    assert all(transcript.checks), dict(zip(transcript.steps, transcript.checks))  # each one checked something
