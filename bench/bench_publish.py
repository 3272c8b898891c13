"""Benchmark `wxpub publish`: WeChat calls per article against the minimum, and wall time.

Publishes the project's sample content into a fresh sandbox, one simulated day after the
other (the sample policy caps each account's articles per day), until nothing is queued.
Counts every call the sandbox received and compares it with the least any correct
publisher could make: one token per account per run that has work, one upload per distinct
image, and per message one draft/add plus one freepublish/submit and at least one
freepublish/get (publish mode) or one message/mass/sendall (mass mode).

    .venv/bin/python bench/bench_publish.py
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pipeline.cli import main  # noqa: E402
from pipeline.commands.publish import SANDBOX_LEDGER_REF  # noqa: E402
from pipeline.ledger import Ledger  # noqa: E402
from pipeline.sandbox import start_in_thread  # noqa: E402


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _repo(folder: Path) -> Path:
    root = folder / "site"
    for name in ("content", "policies", "themes"):
        shutil.copytree(PROJECT / name, root / name)
    shutil.copy(PROJECT / "policies.yaml", root / "policies.yaml")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.email=b@b", "-c", "user.name=bench", "add", "-A")
    _git(root, "-c", "user.email=b@b", "-c", "user.name=bench", "commit", "-q", "-m", "sample")
    return root


def _state(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/sandbox/state", timeout=10) as response:
        state: dict[str, Any] = json.loads(response.read())
    return state


def _minimum(root: Path, runs_with_work: dict[str, int]) -> Counter[str]:
    """The least number of calls per endpoint for what the ledger says went out."""
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    need: Counter[str] = Counter()
    need["stable_token"] = sum(runs_with_work.values())
    covers: set[str] = set()
    images: set[str] = set()
    for entry in ledger.entries:
        if entry.step == "cover_uploaded":
            covers.add(f"{entry.account}:{entry.data['sha']}")
        elif entry.step == "image_uploaded":
            images.add(f"{entry.account}:{entry.data['sha']}")
        elif entry.step == "draft_added":
            need["draft/add"] += 1
        elif entry.step == "submitted":
            need["freepublish/submit"] += 1
            need["freepublish/get"] += 1
        elif entry.step == "mass_sending":
            need["message/mass/sendall"] += 1
    need["material/add_material"] = len(covers)
    need["media/uploadimg"] = len(images)
    return need


def main_() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = _repo(folder)
        server, url = start_in_thread(folder / "sandbox.sqlite3")
        day = datetime.date(2026, 11, 25)
        runs_with_work: Counter[str] = Counter()
        articles = sum(1 for _ in (root / "content").rglob("index.md"))
        started = time.perf_counter()
        run_times = []
        for _ in range(30):
            before = _state(url)["calls_by_account"]
            out = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out):
                main(["--root", str(root), "publish", "--sandbox-url", url, "--now", f"{day} 12:30", "--format", "json"])
            run_times.append(time.perf_counter() - t0)
            report = json.loads(out.getvalue())
            after = _state(url)["calls_by_account"]
            for appid, calls in after.items():
                if calls.get("stable_token", 0) > before.get(appid, {}).get("stable_token", 0):
                    runs_with_work[appid] += 1
            if not report["queued"]:
                break
            # the sandbox's own day must move on too (mass-send quota is per day)
            request = urllib.request.Request(url + "/sandbox/clock", data=json.dumps({"advance": 86400}).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(request, timeout=10).read()
            day += datetime.timedelta(days=1)
        total = time.perf_counter() - started
        calls = Counter(_state(url)["calls"])
        server.shutdown()
        ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
        published = len(ledger.published())
        lines = len(ledger.entries)
        writes = int(subprocess.run(["git", "-C", str(root), "rev-list", "--count", SANDBOX_LEDGER_REF],
                                    capture_output=True, text=True, check=True).stdout)
        messages = len(ledger.state().messages)
        minimum = _minimum(root, runs_with_work)
    endpoints = sorted(set(calls) | set(minimum))
    print(f"# wxpub publish benchmark: {articles} sample articles, {len(run_times)} daily runs\n")
    print("| endpoint | calls | minimum |")
    print("|---|---|---|")
    for endpoint in endpoints:
        print(f"| {endpoint} | {calls.get(endpoint, 0)} | {minimum.get(endpoint, 0)} |")
    print(f"| **total** | **{sum(calls.values())}** | **{sum(minimum.values())}** |")
    print(f"\nPublished (or drafted / mass-sent): {published} of {articles}; "
          f"calls per article {sum(calls.values()) / max(published, 1):.2f} (minimum {sum(minimum.values()) / max(published, 1):.2f}).")
    print(f"Wall time: {total:.2f} s for all runs; per run {min(run_times):.2f}–{max(run_times):.2f} s "
          f"(each publish-mode message waits ≥ 1 s before its first freepublish/get: WeChat publishes asynchronously "
          f"and the query has a daily quota).")
    print(f"Plain cgi-bin/token calls: {calls.get('token', 0)}.")
    print(f"Ledger: {writes} writes (commits, each fsynced; with --push each is also a push) holding {lines} lines "
          f"for {messages} messages: {writes / max(published, 1):.2f} writes per article.")
    print("\nCommand: .venv/bin/python bench/bench_publish.py")


if __name__ == "__main__":
    main_()
