"""A world to try exactly-once in: a content repository with multi-article messages in every
publish mode, the WeChat sandbox, publishers as real processes that can be SIGKILLed at any
WeChat call or ledger write, and the checks that every article went out exactly once.

Kill points:
- at a WeChat call: a sandbox fault holds the Nth call of an endpoint, either before it takes
  effect or after (`{"drop": true, "when": "after", "delay": 60}`), and the test kills the
  publisher while it waits;
- at a ledger write: a real Git `reference-transaction` hook in the repository holds the Nth
  update of the ledger ref, in state `prepared` (before the ref moves) or `committed` (after),
  and the test kills the publisher's process group while the hook sleeps.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

import pytest

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.sending import ANCHOR_MARKER, marker_of
from tests.testing.fixtures import PROJECT, commit_all, git, http, jpeg_bytes, make_repo, run_cli, write_article

LUNCH = "2026-11-25 12:30"
NEXT_LUNCH = "2026-11-26 12:30"

# Daily caps raised so that each account sends one message of several articles
POLICY = re.sub(r"daily_cap: \d+", "daily_cap: 8", (PROJECT / "policies.yaml").read_text(encoding="utf-8"))

# account -> (department, mode, [(slug, title)])
ARTICLES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "official": ("publicity", "publish", [("2026-10-20-sports-day", "学校举行秋季运动会"),
                                          ("2026-10-21-art-show", "艺术节开幕"),
                                          ("2026-10-22-library", "图书馆延长开放时间")]),
    "cs-college": ("cs-college", "mass", [("2026-10-21-contest", "程序设计竞赛开赛"),
                                          ("2026-10-22-lecture", "人工智能讲座预告")]),
    "youth": ("youth-league", "draft", [("2026-10-22-camp", "暑期夏令营招募"),
                                        ("2026-10-23-volunteer", "志愿者招募"),
                                        ("2026-10-24-choir", "合唱团招新")]),
}
TITLES = {title: account for account, (_, _, items) in ARTICLES.items() for _, title in items}
HOOK = """#!/bin/sh
# Holds the Nth update of the ledger ref (a test's kill point): see tests/testing/publishing.py
[ -n "$WXPUB_KILL_DIR" ] || exit 0
hit=0
while read -r old new ref; do
  [ "$ref" = "%s" ] && hit=1
done
[ "$hit" = 1 ] || exit 0
count_file="$WXPUB_KILL_DIR/count"
if [ "$1" = prepared ]; then
  n=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$count_file"
else
  n=$(cat "$count_file" 2>/dev/null || echo 0)
fi
if [ "$(cat "$WXPUB_KILL_DIR/plan" 2>/dev/null)" = "$n $1" ]; then
  touch "$WXPUB_KILL_DIR/hit"
  sleep 120
fi
exit 0
""" % SANDBOX_LEDGER_REF


def article_path(account: str, slug: str) -> str:
    department = ARTICLES[account][0]
    return f"content/{account}/{department}/{slug}/index.md"


ALL_PATHS = sorted(article_path(a, slug) for a, (_, _, items) in ARTICLES.items() for slug, _ in items)


def make_world_repo(tmp_path: Path) -> Path:
    """The repository: 8 articles, a distinct cover each, one body image."""
    repo = make_repo(tmp_path, policies=POLICY)
    shade = 0
    for account, (department, _, items) in ARTICLES.items():
        for slug, title in items:
            shade += 23
            files = {"cover.jpg": jpeg_bytes(900, 500, color=(shade % 255, 90, 160))}
            body = "今天的活动圆满结束。\n"
            if slug == "2026-10-20-sports-day":
                files["start.jpg"] = jpeg_bytes(600, 400, color=(200, 30, 30))
                body = "运动会现场。\n\n![起跑](start.jpg)\n"
            write_article(repo, account=account, department=department, slug=slug, body=body, files=files,
                          front_matter={"title": title, "category": "学生活动" if account != "official" else "学校新闻"})
    commit_all(repo, "eight articles")
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    return repo


def share_sandbox_secrets(*repos: Path) -> None:
    """Runners on different clones use the same sandbox credentials (as CI secrets would be)."""
    secrets = {f"wxsandbox{account.replace('-', '')}": f"shared-secret-{account}" for account in ARTICLES}
    for repo in repos:
        (repo / ".wxpub").mkdir(exist_ok=True)
        (repo / ".wxpub" / "sandbox.secrets.json").write_text(json.dumps(secrets), encoding="utf-8")


def publisher(repo: Path, url: str, *extra: str, kill_dir: Path | None = None, now: str = LUNCH,
              env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`wxpub publish` as its own process group (so a kill takes a sleeping hook with it)."""
    # Git's own switch for test suites: no fsync. A SIGKILL loses nothing the kernel holds, so
    # these tests do not need it; durability against power loss is core.fsync's job (ledger.py)
    # A kill inside `git update-ref` leaves the ref's lock behind; the next run removes it once
    # it is this old (a live writer holds it for milliseconds)
    environ = {**os.environ, "GIT_TEST_FSYNC": "0", "WXPUB_LEDGER_LOCK_STALE_SECONDS": "0.5", **(env or {})}
    environ.pop("WXPUB_KILL_DIR", None)
    if kill_dir is not None:
        environ["WXPUB_KILL_DIR"] = str(kill_dir)
    return subprocess.Popen(publisher_argv(repo, url, *extra, now=now), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environ, cwd=PROJECT, start_new_session=True)


def publisher_argv(repo: Path, url: str, *extra: str, now: str = LUNCH) -> list[str]:
    """The command line `publisher` runs. `--lease 0`: a run takes over what a killed run left
    at once (in CI the next run waits for the lease, 600 s by default). `now=""`: the wall clock."""
    return [sys.executable, "-m", "pipeline", "--root", str(repo), "publish", "--sandbox-url", url,
            *(("--now", now) if now else ()), "--format", "json", "--lease", "0", *extra]


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return process.returncode, (json.loads(out) if out.strip() else {}), err


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)


@dataclass(frozen=True)
class KillPoint:
    """Where to kill: ("call", endpoint, n, "before"|"after") or ("write", "", n, "prepared"|"committed")."""

    kind: str
    endpoint: str
    nth: int
    when: str

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.endpoint or 'ledger'}-{self.nth}-{self.when}"


EFFECT_TABLE = {"media/uploadimg": None, "material/add_material": "materials", "draft/add": "drafts",
                "freepublish/submit": "publications", "message/mass/sendall": "mass_sends",
                "freepublish/delete": None, "draft/delete": None, "message/mass/delete": None}


def kill_at(repo: Path, url: str, point: KillPoint, tmp: Path, *extra: str, now: str = LUNCH,
            env: dict[str, str] | None = None) -> bool:
    """Run a publisher and SIGKILL it at `point`; False if the run ended before reaching it.
    `env` adds to the publisher's environment (e.g. the forge for --require-approvals)."""
    kill_dir = tmp / f"kill-{time.monotonic_ns()}"
    kill_dir.mkdir()
    if point.kind == "write":
        (kill_dir / "plan").write_text(f"{point.nth} {point.when}", encoding="utf-8")
        process = publisher(repo, url, *extra, kill_dir=kill_dir, now=now, env=env)
        reached = _until(process, lambda: (kill_dir / "hit").exists())
    else:
        hold: dict[str, Any] = {"endpoint": point.endpoint, "nth": point.nth, "delay": 120}
        if point.when == "after":
            hold |= {"drop": True, "when": "after"}
        before = http(url + "/sandbox/state")["calls"].get(point.endpoint, 0)
        http(url + "/sandbox/faults", hold)
        process = publisher(repo, url, *extra, now=now, env=env)
        reached = _until(process, lambda: http(url + "/sandbox/state")["calls"].get(point.endpoint, 0)
                         >= before + point.nth)
        if reached and point.when == "after":
            time.sleep(0.3)  # the call takes effect right after it is counted, then the caller is held
    if reached:
        kill(process)
    else:
        finish(process)
    http(url + "/sandbox/faults", method="DELETE")
    return reached


def _until(process: subprocess.Popen[str], condition: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return condition()
        time.sleep(0.02)
    raise AssertionError("the publisher neither reached the kill point nor ended")


def settle(repo: Path, url: str, *extra: str, now: str = LUNCH, runs: int = 3) -> list[dict[str, Any]]:
    """Run publishers until one has nothing left to do; their reports."""
    reports = []
    for _ in range(runs):
        code, report, err = finish(publisher(repo, url, *extra, now=now))
        assert code in (0, 1), err
        reports.append(report)
        if not any(report.get(key) for key in ("published", "queued", "retracted", "failed")):
            break
    return reports


def assert_exactly_once(repo: Path, url: str, *, uploadimg_kills: int = 0, titles: dict[str, str] | None = None,
                        ledger_root: Path | None = None) -> None:
    """From the sandbox's own state: every article out exactly once in its account's mode, no
    orphan draft, each cover a permanent material once; and the ledger agrees."""
    expected = titles if titles is not None else TITLES
    world = http(url + "/sandbox/state")
    problems = sandbox_problems(world, {title: ARTICLES[account][1] for title, account in expected.items()})
    assert not problems, problems
    ledger = Ledger.open(ledger_root or repo, ref=SANDBOX_LEDGER_REF)
    assert world["calls"].get("media/uploadimg", 0) <= 1 + uploadimg_kills  # the one image, plus one per such kill
    paths = {article_path(account, slug) for account, (_, _, items) in ARTICLES.items()
             for slug, title in items if title in expected}
    problems = ledger_problems(ledger, paths)
    assert not problems, problems
    verified = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(ledger_root or repo), "status",
                               "--sandbox-url", url, "--verify", "--format", "json"],
                              capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr  # and `wxpub status --verify` agrees


def sandbox_problems(world: Mapping[str, Any], expected: Mapping[str, str],
                     in_flight: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong in the sandbox's own state (GET /sandbox/state), given the publish mode
    (publish | mass | draft) each title must be out in: a title out more than once (duplicate),
    an expected one missing (lost), a title where its mode does not put it (an orphan draft, a
    stray publication), a cover uploaded as a permanent material twice; an article deleted from a
    publication or mass send (retracted) no longer counts. `in_flight`: titles a
    killed run left in WeChat unrecorded, which the next run adopts: there at most once.
    Empty when all is well."""
    published = Counter(a["title"] for p in world["publications"] if p["status"] == 0 for a in p["articles"]
                        if not a.get("is_deleted"))
    mass = Counter(a["title"] for m in world["mass_sends"] for a in m["articles"] if not a.get("is_deleted"))
    drafts = Counter(a["title"] for d in articles_in_draft_box(dict(world)) for a in d["articles"])
    modes = {"publish": published, "mass": mass, "draft": drafts}
    flying = in_flight or {}
    problems = [f"lost: {title} is not among {mode}" for title, mode in expected.items() if not modes[mode][title]]
    for mode, seen in modes.items():
        for title, n in sorted(seen.items()):
            if expected.get(title) != mode and flying.get(title) != mode:
                problems.append(f"{mode}: {title} ({n}) should not be there (a duplicate or an orphan draft)")
            elif n > 1:
                problems.append(f"duplicate: {title} is out {n} times ({mode})")
    materials = Counter((m["appid"], m["sha256"]) for m in world["materials"])
    problems += [f"material {sha[:12]} of {appid} uploaded {n} times" for (appid, sha), n in materials.items() if n > 1]
    return problems


def ledger_problems(ledger: Ledger, paths: Collection[str]) -> list[str]:
    """What is wrong in the ledger, given the paths that must be out: one out that should not
    be, one missing, a message left unfinished. Empty when all is well."""
    out = {e.path for e in ledger.published()}
    problems = [f"the ledger has {path} out" for path in sorted(out - set(paths))]
    problems += [f"the ledger lacks {path}" for path in sorted(set(paths) - out)]
    problems += [f"a message was left unfinished: {', '.join(m.paths)}"
                 for m in ledger.state().messages.values() if m.live]
    return problems


# -- what the sandbox and `status --verify` say, for tests that publish in-process ----------------


def sandbox_state(url: str) -> dict[str, Any]:
    """Everything the sandbox holds, the ledger anchor included."""
    return http(url + "/sandbox/state")  # type: ignore[no-any-return]


def world(url: str) -> dict[str, Any]:
    """What the sandbox holds of articles: its state without wxpub's ledger anchor (each sending
    account's anchor draft and the thumb it alone uses, pipeline/anchor.py), which is a witness
    of the ledger, not content; tests/test_ledger_anchor.py looks at it through sandbox_state.
    API call counts are left as they are."""
    state = sandbox_state(url)
    anchors = [d for d in state["drafts"] if d not in articles_in_draft_box(state)]
    thumbs = {str(a.get("thumb_media_id", "")) for d in anchors for a in d["articles"]}
    used = {str(a.get("thumb_media_id", "")) for d in articles_in_draft_box(state) for a in d["articles"]}
    used |= {str(a.get("thumb_media_id", "")) for p in state["publications"] for a in p["articles"]}
    used |= {str(a.get("thumb_media_id", "")) for m in state.get("mass_sends", []) for a in m["articles"]}
    return {**state, "drafts": articles_in_draft_box(state),
            "materials": [m for m in state["materials"] if m["media_id"] not in thumbs - used]}


def by_status(report: dict[str, Any]) -> dict[str, set[str]]:
    """A JSON publish report as {status: the paths reported with it}."""
    return {status: {o["path"] for o in items} for status, items in report.items() if isinstance(items, list)}


def bundle_index(account: str, department: str, slug: str) -> str:
    return f"content/{account}/{department}/{slug}/index.md"


def with_bare_remote(repo: Path, tmp_path: Path) -> Path:
    """A bare `origin` for `repo` at tmp_path/remote.git, holding its main."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return remote


def articles_in_draft_box(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The drafts of a sandbox state that hold articles: wxpub's ledger anchor (pipeline/anchor.py)
    is a witness of the ledger, not an article."""
    return [d for d in state["drafts"] if not (d["articles"] and marker_of(
        str(d["articles"][0].get("content", "")), ANCHOR_MARKER) is not None)]


def forget_anchors(repo: Path, url: str) -> None:
    """WeChat as a wxpub from before the ledger anchor left it: every anchor draft deleted, with
    the account's credentials (the ones `repo`'s sandbox runs registered)."""
    from pipeline.wechat import Credentials, WeChat

    secrets = json.loads((repo / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    state = sandbox_state(url)
    for draft in state["drafts"]:
        if draft not in articles_in_draft_box(state):
            client = WeChat(Credentials(draft["appid"], secrets[draft["appid"]]), base_url=url + "/cgi-bin/")
            client.delete_draft(draft["media_id"])


def live_copies(url: str) -> list[str]:
    """Titles of every live copy of an article in WeChat, published or in the draft box."""
    state = world(url)
    return sorted([a["title"] for p in state["publications"] for a in p["articles"] if not a.get("is_deleted")]
                  + [a["title"] for d in articles_in_draft_box(state) for a in d["articles"]])


def live_titles(url: str) -> list[str]:
    """Titles of every article WeChat shows published (freepublish), not deleted."""
    return sorted(a["title"] for p in world(url)["publications"] if p["status"] == 0
                  for a in p["articles"] if not a.get("is_deleted"))


def verify(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    """What `wxpub status --verify` finds wrong."""
    code, out, _ = run_cli(root, capsys, "status", "--sandbox-url", url, "--verify", "--format", "json")
    problems: list[dict[str, str]] = json.loads(out)["disagreements"]
    assert code == (1 if problems else 0)
    return problems


# -- how alike the publisher finds two articles --------------------------------------------------

def article_at(root: Path, index: Path) -> Any:
    """The article `index` (under `root`) as the publisher loads it."""
    from pathlib import PurePosixPath

    from pipeline.content import Article, load_article
    from pipeline.snapshot import WorkTree
    article = load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))
    assert isinstance(article, Article), article
    return article


def piece_likeness(first_body: str, second_body: str, *, titles: tuple[str, str] = ("", "")) -> float:
    """How alike `find_moves` finds two articles with these bodies and titles (the same front
    matter otherwise, the same cover): the Dice coefficient of `publish._features`, the one
    comparison the publisher makes, over articles written to a throwaway repository and loaded
    as the publisher loads them."""
    import tempfile

    from pipeline.publish import _dice, _features
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        first, second = (article_at(root, write_article(root, slug=slug, front_matter={"title": title}, body=body))
                         for slug, title, body in (("2026-11-20-first", titles[0], first_body),
                                                   ("2026-11-20-second", titles[1], second_body)))
        return _dice(_features(first), _features(second))
