#!/usr/bin/env python
"""Time `wxpub lint` against the markdown-it-py floor (and another version), interleaved.

    git archive main pipeline | tar -x -C /tmp/wxpub-before
    python bench/compare_lint.py --repo bench/out/repo-10000 [--before /tmp/wxpub-before] [--rounds 5] [-- --jobs 1]
    python bench/compare_lint.py --repo bench/out/repo-10000 --pull-request 5 --skip floor [...]

Contenders, each one process run per round, the order rotating every round so a shared
machine's load falls on all alike:

- before: `wxpub lint --format json EXTRA` with the package in --before (when given), with
  --no-cache when that version has a findings cache;
- cold: this checkout with an empty findings cache (a new --cache-dir each round: it pays
  for hashing every article and writing the cache);
- warm: this checkout with a cache filled by one untimed run before the rounds;
- nocache: this checkout with --no-cache;
- with --pull-request N, every contender lints a copy of the repository in which N articles
  were edited in one commit, with `--changed-since` the commit before (the pull request
  workflow's check);
- floor: a process that imports markdown-it-py, reads every index.md and splits off the front
  matter (untimed), then times `parser().parse(body)` over all bodies (parse only: what lint
  needs) and `parser().render(body)` (parse+render). The floor's figure is that in-process
  time alone: no interpreter start-up, no imports, no file reading; its parse is timed in
  wall and in CPU seconds (time.process_time).

Prints per contender the median, min and max wall time (start-up included) and, per round,
each lint's ratio to that round's parse-only floor (median, min, max); checks that every lint
reports the same findings. Make the repository with `bench/bench_lint.py --articles N`.
Both packages are byte-compiled first (compileall), as `pip install .` leaves them in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


CPU: list[float] = []  # user+system seconds of each lint's process tree (its git children included)


def lint(tree: Path, repo: Path, extra: list[str]) -> tuple[float, list[tuple[str, int, int, str, str]]]:
    """Wall time of one lint with the package in `tree`, and what it reported: the number of
    articles linted, then its findings."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint", "--format", "json", *extra],
                          env=env, capture_output=True, text=True, cwd="/")
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"lint with {tree} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    payload = json.loads(done.stdout)
    findings = sorted((f["path"], f["line"], f["column"], f["code"], f["message"]) for f in payload["findings"])
    return elapsed, [("files linted", payload["files"], 0, "", ""), *findings]


def floor(repo: Path) -> dict[str, float]:
    """markdown-it-py over the repository's bodies, in this process (run as a child)."""
    from pipeline.content import _split_front_matter
    from pipeline.markdown import parser

    bodies = []
    for file in sorted((repo / "content").rglob("index.md")):
        split = _split_front_matter(file.read_text(encoding="utf-8"))
        assert split is not None, file
        bodies.append(split[1])
    md = parser()
    md.render(bodies[0])  # rule chains are compiled on first use
    started, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        md.parse(body)
    parse, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    for body in bodies:
        md.render(body)
    return {"bodies": len(bodies), "parse": parse, "parse_cpu": parse_cpu, "render": time.perf_counter() - started}


def run_floor(tree: Path, repo: Path) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--floor-of", str(repo)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    return time.perf_counter() - started, json.loads(done.stdout)


def _pull_request(repo: Path, copy: Path, edits: int) -> tuple[Path, str]:
    """A copy of `repo` with `edits` articles changed in one new commit, and the commit before it.
    `git commit -a` also refreshes the copy's index (its files have new inodes and times), as a
    fresh checkout in CI has a fresh index."""
    sys.path.insert(0, str(PROJECT / "bench"))
    from bench_lint import edit_articles, git

    shutil.copytree(repo, copy, symlinks=True)
    base = git(copy, "rev-parse", "HEAD")
    edit_articles(copy, edits)
    git(copy, "commit", "-q", "-am", f"Edit {edits} articles")
    return copy, base


def machine_load() -> str:
    pressure = Path("/proc/pressure/cpu")
    some = pressure.read_text().splitlines()[0] if pressure.exists() else "n/a"
    return f"nproc {os.cpu_count()}; {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}; cpu pressure: {some}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, help="a tree of another version (e.g. git archive)")
    ap.add_argument("--repo", type=Path, help="the content repository to lint")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip", nargs="*", default=[], help="contenders to leave out (before cold warm nocache floor)")
    ap.add_argument("--pull-request", type=int, default=0, metavar="N",
                    help="lint a copy of --repo with N articles edited and committed, --changed-since the commit "
                         "before (a pull request's check)")
    ap.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("extra", nargs="*", help="more lint arguments, after --")
    args = ap.parse_args(argv)
    if args.floor_of:
        print(json.dumps(floor(args.floor_of.resolve())))
        return 0
    if args.repo is None:
        ap.error("--repo is required")
    repo = args.repo.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="compare-lint-"))
    # A copy of this checkout's package, so editing it while the rounds run changes nothing measured
    after = scratch / "after"
    shutil.copytree(PROJECT / "pipeline", after / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    if args.pull_request:
        repo, base = _pull_request(repo, scratch / "pull-request", args.pull_request)
        args.extra = [*args.extra, "--changed-since", base]
    head = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(PROJECT), "status", "--porcelain", "--", "pipeline"], capture_output=True,
                           text=True).stdout.strip()
    # Byte-compiled as `pip install .` leaves an installed package (the CI workflows install it so):
    # with PYTHONDONTWRITEBYTECODE set, as on the development machine, every run would otherwise
    # compile wxpub's ~50 modules from source (~80 ms), which no installed copy pays
    for tree in (after, *([args.before.resolve()] if args.before else [])):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "pipeline")], check=True)
    warm_cache = scratch / "warm"
    contenders: dict[str, object] = {}
    if args.before:
        # Without a cache, as nocache: a version that has one would otherwise fill the
        # repository's .wxpub-cache in its first round and answer from it in the next
        no_cache = ["--no-cache"] if '"--no-cache"' in (args.before / "pipeline/commands/lint.py").read_text() else []
        contenders["before"] = lambda: lint(args.before.resolve(), repo, [*args.extra, *no_cache])
    cold_round = iter(range(10**6))
    contenders["cold"] = lambda: lint(after, repo, [*args.extra, "--cache-dir", str(scratch / f"cold-{next(cold_round)}")])
    contenders["warm"] = lambda: lint(after, repo, [*args.extra, "--cache-dir", str(warm_cache)])
    contenders["nocache"] = lambda: lint(after, repo, [*args.extra, "--no-cache"])
    contenders = {k: v for k, v in contenders.items() if k not in args.skip}
    print(f"# {' '.join(sys.argv)}\n# this checkout: {head}{' with uncommitted changes in pipeline/' if dirty else ''}\n"
          f"# at start: {machine_load()}", flush=True)
    if "warm" in contenders:
        lint(after, repo, [*args.extra, "--cache-dir", str(warm_cache)])  # fill the warm cache (untimed)
    names = [*contenders, *(["floor"] if "floor" not in args.skip else [])]
    times: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    seen: dict[str, list[tuple[str, int, int, str, str]]] = {}
    floors: list[dict[str, float]] = []
    try:
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            this_round: dict[str, float] = {}
            for name in order:
                if name == "floor":
                    wall, result = run_floor(after, repo)
                    floors.append(result)
                    times["floor"].append(wall)
                else:
                    wall, findings = contenders[name]()  # type: ignore[operator]
                    times[name].append(wall)
                    cpu[name].append(CPU[-1])
                    seen[name] = findings
                    this_round[name] = wall
            if floors:
                for name, wall in this_round.items():
                    ratios[name].append(wall / floors[-1]["parse"])
                    cpu_ratios[name].append(cpu[name][-1] / floors[-1]["parse_cpu"])
            print(f"round {round_ + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in order)
                  + (f" (floor parse {floors[-1]['parse']:.2f} s, render {floors[-1]['render']:.2f} s)" if floors else ""),
                  flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"# at end: {machine_load()}")
    spread = lambda values: f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"  # noqa: E731
    print("\n| contender | wall, s: median (min–max) | CPU (user+system), s: median (min–max) "
          "| wall ÷ parse-only floor of its round: median (min–max) | CPU ÷ the floor's parse CPU of its round |")
    print("|---|---|---|---|---|")
    for name in contenders:
        print(f"| {name} | {spread(times[name])} | {spread(cpu[name])} | {spread(ratios[name]) if ratios[name] else '–'} "
              f"| {spread(cpu_ratios[name]) if cpu_ratios[name] else '–'} |")
    if floors:
        print(f"| floor process (start-up, imports, reading, parse and render) | {spread(times['floor'])} | | | |")
        print(f"| floor: parse only, {int(floors[0]['bodies'])} bodies in memory | {spread([f['parse'] for f in floors])} "
              f"| {spread([f['parse_cpu'] for f in floors])} | 1 | 1 |")
        print(f"| floor: parse+render | {spread([f['render'] for f in floors])} | | | |")
    same = len({json.dumps(findings) for findings in seen.values()}) <= 1
    first = next(iter(seen.values()), [])
    print(f"\n{first[0][1] if first else 0} articles linted, {max(len(first) - 1, 0)} findings; "
          + ("every lint reported the same articles and findings" if same else "THE FINDINGS DIFFER"))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
