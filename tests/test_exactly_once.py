"""Exactly once, whatever happens: SIGKILL at every WeChat call and every ledger write, in
every publish mode, with multi-article messages; publishers racing on clones of one bare
remote; calls that answer after the client gave up; and a randomised soak of many kills.

Each check is made from the sandbox's own state (what WeChat would hold), not from what the
publisher says: 0 duplicate articles, 0 lost, 0 orphan drafts, each cover uploaded once.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.ledger import Ledger
from pipeline.records import Step
from tests.testing.fixtures import git, http
from tests.testing.publishing import (
    ALL_PATHS, SANDBOX_LEDGER_REF, KillPoint, assert_exactly_once, finish, kill_at, make_world_repo, publisher, settle,
    share_sandbox_secrets, wait_for,
)

# In a clean run of the world: calls per endpoint and ledger writes (test_reference_run pins them)
# Each sending account's first send also makes its ledger anchor (pipeline/anchor.py): a thumb
# (material/add_material) and a draft (draft/add), after the ledger write that precedes the send
CALLS = {"media/uploadimg": 1, "material/add_material": 10, "draft/add": 5, "freepublish/submit": 1,
         "freepublish/get": 2, "message/mass/sendall": 1}
# The ledger's commits in a clean run, in order (accounts go alphabetically, a message at a time):
#  1 claim (mass)   2-3 covers   4 draft_adding   5 draft_added   6 mass_sending   7 finals (2 lines)
#  8 claim (publish)  9 body image  10-12 covers  13 draft_adding  14 draft_added  15 submitting
# 16 submitted  17 finals (3)   18 claim (draft)  19-21 covers  22 draft_adding  23 draft_added  24 finals (3)
LEDGER_WRITES = 24
# Every kind of write in every mode; the others repeat a kind (the soak draws from all 24)
WRITES = (1, 2, 4, 5, 6, 7, 8, 9, 13, 15, 16, 17, 18, 22, 23, 24)
CALL_POINTS = [KillPoint("call", endpoint, n, when) for endpoint, count in CALLS.items()
               for n in range(1, count + 1) for when in ("before", "after")
               if not (endpoint == "freepublish/get" and when == "after")]  # a read: after == before the next step
WRITE_POINTS = [KillPoint("write", "", n, when) for n in WRITES for when in ("prepared", "committed")]
ALL_WRITE_POINTS = [KillPoint("write", "", n, when) for n in range(1, LEDGER_WRITES + 1)
                    for when in ("prepared", "committed")]


def in_upload_window(point: KillPoint) -> bool:
    """A kill between media/uploadimg and its record, in a first run: the one place a body image
    is uploaded again (uploadimg has no list to find it in; docs/ledger.md). Write 9 is its
    record in a clean run (a rerun numbers its writes from its own recovery: unrecorded_uploads)."""
    return (point.endpoint == "media/uploadimg") or (point.kind == "write" and point.nth == 9
                                                      and point.when == "prepared")


def unrecorded_uploads(world: Path, sandbox: str) -> int:
    """Body images WeChat took (media/uploadimg calls) that no ledger line records: each one a
    run killed inside the upload window left behind, whatever kill point it was."""
    calls = http(sandbox + "/sandbox/state")["calls"].get("media/uploadimg", 0)
    records = sum(e.step == Step.IMAGE_UPLOADED for e in Ledger.open(world, ref=SANDBOX_LEDGER_REF).entries)
    return int(calls) - records


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return make_world_repo(tmp_path)


def test_reference_run(world: Path, sandbox: str) -> None:
    """The counts the kill points are built from; a change here means new kill points."""
    code, report, err = finish(publisher(world, sandbox))
    assert code == 0, err
    assert sorted(i["path"] for i in report["published"]) == ALL_PATHS
    calls = http(sandbox + "/sandbox/state")["calls"]
    assert {e: calls.get(e, 0) for e in CALLS} == CALLS
    assert len(git(world, "rev-list", "refs/wxpub/sandbox-ledger").split()) == LEDGER_WRITES
    assert_exactly_once(world, sandbox)
    assert settle(world, sandbox)[-1] == {"published": [], "queued": [], "retracted": [], "failed": []}


@pytest.mark.parametrize("point", CALL_POINTS + WRITE_POINTS, ids=lambda p: p.name)
def test_killed_anywhere_publishes_exactly_once(world: Path, sandbox: str, tmp_path: Path, point: KillPoint) -> None:
    assert kill_at(world, sandbox, point, tmp_path), f"the run never reached {point.name}"
    settle(world, sandbox)
    assert_exactly_once(world, sandbox, uploadimg_kills=int(in_upload_window(point)))


def test_killed_again_while_recovering(world: Path, sandbox: str, tmp_path: Path) -> None:
    """A rerun killed during its own recovery (searching for the draft, then submitting)."""
    assert kill_at(world, sandbox, KillPoint("call", "draft/add", 3, "after"), tmp_path)
    assert kill_at(world, sandbox, KillPoint("call", "draft/batchget", 1, "after"), tmp_path)
    assert kill_at(world, sandbox, KillPoint("call", "freepublish/submit", 1, "after"), tmp_path)
    settle(world, sandbox)
    assert_exactly_once(world, sandbox)


def test_soak_random_kills(sandbox: str, tmp_path: Path) -> None:
    """Rounds of random kill points in a row (a rerun killed again, and again), each round on a
    fresh world, then a clean run; until the time budget (WXPUB_SOAK_SECONDS, default 40) is spent.
    WXPUB_SOAK_SEED replays a failure."""
    budget = float(os.environ.get("WXPUB_SOAK_SECONDS", "40"))
    seed = int(os.environ.get("WXPUB_SOAK_SEED", str(time.time_ns() % 100_000)))
    chooser = random.Random(seed)
    deadline = time.monotonic() + budget
    points = CALL_POINTS + ALL_WRITE_POINTS + [KillPoint("call", "draft/batchget", 1, "after"),
                                               KillPoint("call", "material/batchget_material", 1, "before")]
    rounds = total_kills = 0
    while time.monotonic() < deadline or rounds == 0:
        rounds += 1
        http(sandbox + "/sandbox/reset", {})
        (tmp_path / f"round-{rounds}").mkdir()
        world = make_world_repo(tmp_path / f"round-{rounds}")
        kills = 0
        for point in (chooser.choice(points) for _ in range(chooser.randint(1, 5))):
            if not kill_at(world, sandbox, point, tmp_path):
                break  # that run got to the end before this point
            kills += 1
        # Which kill of a chain fell in the upload window depends on how its rerun recovered (the
        # rerun's writes are numbered from its own recovery), so the window is measured, not guessed
        orphaned = unrecorded_uploads(world, sandbox)
        settle(world, sandbox, runs=4)
        try:
            assert 0 <= orphaned <= kills, orphaned  # at most one left behind per killed run
            assert unrecorded_uploads(world, sandbox) == orphaned  # the clean runs leave none, upload none twice
            assert_exactly_once(world, sandbox, uploadimg_kills=orphaned)
        except AssertionError as failure:
            raise AssertionError(f"seed {seed}, round {rounds}: {failure!r}") from failure
        total_kills += kills
    assert total_kills, f"seed {seed}: no kill point was reached in {rounds} rounds"


# -- several runners ------------------------------------------------------------------------------


def clone(remote: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(where)], check=True)
    return where


@pytest.mark.parametrize("runners", [2, 3])
def test_racing_publishers_on_clones_of_one_remote(world: Path, sandbox: str, tmp_path: Path, runners: int) -> None:
    """Two or three workflow runs at once, each on its own fresh clone, sharing the ledger
    through the remote with --push: each article goes out once, and the remote ledger has it."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(world), str(remote)], check=True)
    clones = [clone(remote, tmp_path / f"runner{n}") for n in range(runners)]
    share_sandbox_secrets(*clones)
    # The default lease: no runner takes over a message another live runner holds
    processes = [publisher(repo, sandbox, "--push", "origin", "--lease", "600") for repo in clones]
    reports = [finish(p) for p in processes]
    assert all(code == 0 for code, _, _ in reports), [err for _, _, err in reports]
    went = sorted(i["path"] for _, report, _ in reports for i in report["published"])
    assert went == ALL_PATHS  # each article reported out by exactly one runner
    fresh = clone(remote, tmp_path / "fresh")
    share_sandbox_secrets(fresh)
    git(fresh, "fetch", "-q", "origin", "+refs/wxpub/sandbox-ledger:refs/wxpub/sandbox-ledger")
    assert_exactly_once(fresh, sandbox)
    code, report, _ = finish(publisher(fresh, sandbox, "--push", "origin"))
    assert code == 0 and not report["published"]
    assert_exactly_once(fresh, sandbox)


def test_a_slow_draft_add_that_lands_after_the_timeout_leaves_no_orphan(world: Path, sandbox: str) -> None:
    """draft/add answers after the client gave up (1 s): the rerun finds no draft and sends its
    own; when the slow one lands, a later run deletes it by its attempt marker."""
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/add", "nth": 1, "delay": 6})
    slow = {"WXPUB_WECHAT_TIMEOUT": "1"}
    first = publisher(world, sandbox, env=slow)
    # The draft lands 6 s after the sandbox took the call, however long the run took to get there
    wait_for(lambda: http(sandbox + "/sandbox/state")["calls"].get("draft/add", 0) >= 1, "the first draft/add")
    lands = time.monotonic() + 6
    code, report, err = finish(first)
    assert any("没有得到答复" in i["message"] for i in report["queued"]), report
    code, report, err = finish(publisher(world, sandbox, env=slow))  # takes over at once (--lease 0)
    assert code in (0, 1), err
    time.sleep(max(0.0, lands - time.monotonic()) + 0.5)  # the slow draft has landed (or was adopted, if late)
    settle(world, sandbox)
    assert_exactly_once(world, sandbox)


def test_a_slow_submit_is_published_once(world: Path, sandbox: str) -> None:
    """freepublish/submit lands after the client timed out; the rerun submits again, which
    WeChat refuses (the draft is gone): the publication is adopted by its marker."""
    http(sandbox + "/sandbox/faults", {"endpoint": "freepublish/submit", "nth": 1, "delay": 3})
    slow = {"WXPUB_WECHAT_TIMEOUT": "1"}
    finish(publisher(world, sandbox, env=slow))
    finish(publisher(world, sandbox, env=slow))
    time.sleep(3)
    settle(world, sandbox)
    assert_exactly_once(world, sandbox)


def test_a_second_publisher_leaves_a_message_in_flight_alone(world: Path, sandbox: str, tmp_path: Path) -> None:
    """While the first is inside draft/add, a second run (default lease) neither resumes nor
    abandons its message, and sends nothing of it; the first finishes alone."""
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/add", "nth": 1, "delay": 4})
    first = publisher(world, sandbox, "--lease", "600")
    wait_for(lambda: http(sandbox + "/sandbox/state")["calls"].get("draft/add", 0) >= 1, "the first draft/add")
    code, report, err = finish(publisher(world, sandbox, "--lease", "600"))
    held = {i["path"] for i in report["queued"] if "另一次发布运行正在处理" in i["message"]}
    assert held, report
    code, first_report, err = finish(first)
    assert code == 0, err
    settle(world, sandbox)
    assert_exactly_once(world, sandbox)



def test_a_runner_that_cannot_share_its_ledger_calls_nothing_more(world: Path, sandbox: str, tmp_path: Path) -> None:
    """The remote refuses the ledger push (down, or no permission): the run stops before its
    next WeChat call; once the remote is back, the next run finishes exactly once."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(world), str(remote)], check=True)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n[ -f \"$(dirname \"$0\")/../deny\" ] && { echo 'remote down' >&2; exit 1; }\nexit 0\n",
                    encoding="utf-8")
    hook.chmod(0o755)
    (remote / "deny").touch()
    runner = clone(remote, tmp_path / "runner")
    code, report, err = finish(publisher(runner, sandbox, "--push", "origin"))
    assert code == 2 and "无法把发布记录推送到远程" in err, err
    calls = http(sandbox + "/sandbox/state")["calls"]
    # claimed locally, never shared: nothing uploaded or sent (only read: the token and the newest lists)
    assert set(calls) <= {"stable_token", "draft/batchget", "freepublish/batchget"}, calls
    (remote / "deny").unlink()
    code, report, err = finish(publisher(runner, sandbox, "--push", "origin"))
    assert code == 0, err
    assert sorted(i["path"] for i in report["published"]) == ALL_PATHS
    fresh = clone(remote, tmp_path / "fresh")
    git(fresh, "fetch", "-q", "origin", "+refs/wxpub/sandbox-ledger:refs/wxpub/sandbox-ledger")
    assert_exactly_once(fresh, sandbox)


def test_killed_in_a_reruns_upload_window(world: Path, sandbox: str, tmp_path: Path) -> None:
    """A rerun numbers its ledger writes from its own recovery: after a kill right after the first
    draft/add, the rerun's 11th write is the body image's record. A kill there leaves one upload
    no line records (the soak once counted it by the clean run's numbering, and failed)."""
    assert kill_at(world, sandbox, KillPoint("call", "draft/add", 1, "after"), tmp_path)
    assert unrecorded_uploads(world, sandbox) == 0
    assert kill_at(world, sandbox, KillPoint("write", "", 11, "prepared"), tmp_path)
    assert unrecorded_uploads(world, sandbox) == 1
    settle(world, sandbox)
    assert unrecorded_uploads(world, sandbox) == 1  # uploaded again once, and recorded
    assert_exactly_once(world, sandbox, uploadimg_kills=1)
