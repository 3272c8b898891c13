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
from typing import Any, Sequence

import pytest

from tests.testing.day_in_the_life import STORY, StoryFailed, Transcript, play
from tests.testing.fixtures import PROJECT
from tests.testing.publishing import sandbox_problems


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


def _world(*, published: Sequence[list[str]] = (), drafts: Sequence[list[str]] = (),
           mass: Sequence[list[str]] = (), materials: Sequence[str] = ()) -> dict[str, Any]:
    """A sandbox state (GET /sandbox/state) holding these titles."""
    def articles(titles: list[str]) -> list[dict[str, str]]:
        return [{"title": title} for title in titles]
    return {"publications": [{"status": 0, "articles": articles(t)} for t in published],
            "drafts": [{"articles": articles(t)} for t in drafts],
            "mass_sends": [{"articles": articles(t)} for t in mass],
            "materials": [{"appid": "wx1", "sha256": sha} for sha in materials]}


def _deleted(world: dict[str, Any]) -> dict[str, Any]:
    """The world with the first article of its first publication deleted (freepublish/delete with an index)."""
    world["publications"][0]["articles"][0]["is_deleted"] = True
    return world


@pytest.mark.parametrize(("world", "expected", "in_flight", "problems"), [
    (_world(published=[["新闻"]]), {"新闻": "publish"}, {}, []),
    (_world(published=[["新闻"], ["新闻"]]), {"新闻": "publish"}, {}, ["duplicate: 新闻"]),
    (_world(published=[["新闻", "新闻"]]), {"新闻": "publish"}, {}, ["duplicate: 新闻"]),
    (_world(), {"新闻": "publish"}, {}, ["lost: 新闻"]),
    (_world(published=[["新闻"]], drafts=[["新闻"]]), {"新闻": "publish"}, {}, ["draft: 新闻 (1) should not be there"]),
    (_world(drafts=[["新闻"]]), {"新闻": "publish"}, {}, ["lost: 新闻", "draft: 新闻 (1) should not be there"]),
    (_world(mass=[["讲座"]]), {}, {}, ["mass: 讲座 (1) should not be there"]),
    (_world(drafts=[["招新"]]), {}, {"招新": "draft"}, []),
    (_world(), {}, {"招新": "draft"}, []),
    (_world(drafts=[["招新"], ["招新"]]), {}, {"招新": "draft"}, ["duplicate: 招新"]),
    (_world(published=[["招新"]]), {}, {"招新": "draft"}, ["publish: 招新 (1) should not be there"]),
    (_world(materials=["a" * 64, "a" * 64]), {}, {}, ["material aaaaaaaaaaaa of wx1 uploaded 2 times"]),
    (_deleted(_world(published=[["新闻", "讲座"]])), {"讲座": "publish"}, {}, []),  # 新闻 retracted: its index deleted
    (_deleted(_world(published=[["新闻", "讲座"]])), {"新闻": "publish", "讲座": "publish"}, {}, ["lost: 新闻"]),
])
def test_the_sandbox_check_sees_duplicates_losses_and_orphan_drafts(
        world: dict[str, Any], expected: dict[str, str], in_flight: dict[str, str], problems: list[str]) -> None:
    """The invariant the story checks after every step can fail, in each way it should."""
    found = sandbox_problems(world, expected, in_flight)
    assert len(found) == len(problems) and all(f.startswith(p) for f, p in zip(found, problems)), found
