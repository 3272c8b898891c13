"""Exactly once, whatever happens: the publisher is SIGKILLed at every step and run again.

The sandbox runs in its own process; the publisher is a real subprocess. A fault holds one
call of the publisher, either before the call takes effect (so the ledger has recorded the
previous step and nothing more) or after it took effect (so WeChat did it but the ledger
never heard). The test kills the publisher right there, runs it again, and checks that
every article went out exactly once and that no draft was left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from tests.testing.fixtures import http

LUNCH = "2026-11-25 12:30"
PUBLISHED = "content/official/publicity/2026-10-20-sports-day/index.md"
MASS = "content/cs-college/cs-college/2026-10-21-contest/index.md"
DRAFTED = "content/youth/youth-league/2026-10-22-camp/index.md"

# Where WeChat's side of each call shows up, to know that a held call has taken effect
EFFECT_TABLE = {"media/uploadimg": "uploads", "material/add_material": "materials", "draft/add": "drafts",
                "freepublish/submit": "publications", "message/mass/sendall": "mass_sends"}
CRASH_POINTS = [
    ("media/uploadimg", "after"),
    ("material/add_material", "before"),
    ("material/add_material", "after"),
    ("draft/add", "before"),
    ("draft/add", "after"),
    ("freepublish/submit", "before"),
    ("freepublish/submit", "after"),
    ("freepublish/get", "before"),
    ("message/mass/sendall", "before"),
    ("message/mass/sendall", "after"),
]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "sandbox", "serve", "--port", "0",
                                "--state", str(tmp_path / "sandbox.sqlite3")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    process.terminate()
    process.wait(timeout=10)


def publisher(repo: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(repo), "publish", "--sandbox-url", url,
                             "--now", LUNCH, "--format", "json", "--lease", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition: Any, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize(("endpoint", "when"), CRASH_POINTS, ids=[f"{e}-{w}" for e, w in CRASH_POINTS])
def test_killed_anywhere_publishes_exactly_once(site: Path, sandbox: str, endpoint: str, when: str) -> None:
    hold = {"endpoint": endpoint, "nth": 1, "delay": 60}
    if when == "after":
        hold |= {"drop": True, "when": "after"}
    http(sandbox + "/sandbox/faults", hold)
    before = http(sandbox + "/sandbox/state")
    run = publisher(site, sandbox)
    if when == "before":
        wait_for(lambda: http(sandbox + "/sandbox/state")["calls"].get(endpoint, 0) >= 1, f"the call to {endpoint}")
    else:
        table = EFFECT_TABLE[endpoint]
        wait_for(lambda: len(http(sandbox + "/sandbox/state")[table]) > len(before[table]), f"{endpoint} to take effect")
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    assert run.returncode == -signal.SIGKILL
    http(sandbox + "/sandbox/faults", method="DELETE")

    rerun = publisher(site, sandbox)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, out + err
    third = publisher(site, sandbox)  # and nothing left to do after that
    out3, err3 = third.communicate(timeout=60)
    assert third.returncode == 0 and json.loads(out3) == {"published": [], "queued": [], "retracted": [], "failed": []}, out3 + err3

    world = http(sandbox + "/sandbox/state")
    published_titles = [a["title"] for p in world["publications"] if p["status"] == 0 for a in p["articles"]]
    assert published_titles == ["学校举行秋季运动会"]  # exactly one publication of the article
    assert [a["title"] for m in world["mass_sends"] for a in m["articles"]] == ["程序设计竞赛开赛"]
    assert [a["title"] for d in world["drafts"] for a in d["articles"]] == ["暑期夏令营招募"]  # no orphaned draft
    ledger = Ledger.open(site, ref=SANDBOX_LEDGER_REF)
    assert sorted(e.path for e in ledger.published()) == sorted([PUBLISHED, MASS, DRAFTED])
    finals = [e.path for e in ledger.entries if e.step in ("published", "mass_sent", "drafted")]
    assert sorted(finals) == sorted([PUBLISHED, MASS, DRAFTED])  # each recorded once
