#!/usr/bin/env python
"""Time `wxpub lint` of two versions of wxpub on one repository, interleaved.

    git archive main | tar -x -C /tmp/wxpub-before
    python bench/compare_lint.py --before /tmp/wxpub-before --repo bench/out/repo-2000 [--rounds 7] [-- --jobs 1]

Each round runs both versions, alternating which goes first, so the load of a shared machine
falls on both alike; it prints the median, min and max wall time of each (start-up included)
and checks that both report the same findings. Make the repository first with
`bench/bench_lint.py --articles N` (it lands in bench/out/repo-N).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def lint(tree: Path, repo: Path, extra: list[str]) -> tuple[float, list[tuple[str, int, str]]]:
    """Wall time of one lint with the package in `tree`, and its findings."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint", "--format", "json", *extra],
                          env=env, capture_output=True, text=True, cwd="/")
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"lint with {tree} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    findings = json.loads(done.stdout)["findings"]
    return elapsed, sorted((f["path"], f["line"], f["code"]) for f in findings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="a tree of the other version (e.g. git archive)")
    ap.add_argument("--after", type=Path, default=PROJECT, help="this version (default: this checkout)")
    ap.add_argument("--repo", type=Path, required=True, help="the content repository to lint")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("extra", nargs="*", help="more lint arguments, after --")
    args = ap.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    times: dict[str, list[float]] = {name: [] for name in trees}
    seen: dict[str, list[tuple[str, int, str]]] = {}
    for round_ in range(args.rounds):
        for name in (list(trees) if round_ % 2 == 0 else list(reversed(trees))):
            elapsed, findings = lint(trees[name], args.repo.resolve(), args.extra)
            times[name].append(elapsed)
            seen[name] = findings
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}; "
              f"{len(values)} runs), {len(seen[name])} findings")
    same = seen["before"] == seen["after"]
    print("same findings" if same else "the findings differ")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
