#!/usr/bin/env python
"""Compare `wxpub render --check` with WeChat's official structure checker, file by file.

    .venv/bin/python tools/check_agreement.py --checker /work/checker/check [--samples] [--out DIR] [FILE.html...]

The official checker (github.com/wechatjs/verify-article-structure-spec, set up outside this
project; `--checker` is its command `check OUT.json FILE...`) and our check (the static rules
and the layout rules measured in Chromium, as `render --check` runs them) judge the same
files: the HTML files given, and with --samples every article under content/ rendered in
every theme (written to OUT/samples/). Prints, per file, each side's rule keys and whether
the verdicts (valid/invalid) agree, then per rule how often both, only WeChat's or only ours
reported it. Our verdict counts the rules WeChat's checker also has (OFFICIAL_KEY); our
stricter project rules (allowed tags and attributes, font-family, !important) are listed
apart, since the official checker does not look at them. Exit 1 when a verdict differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pipeline.content import Article, find_bundles, load_article  # noqa: E402
from pipeline.policies import load_policies  # noqa: E402
from pipeline.render import render_article  # noqa: E402
from pipeline.render.layout import OFFICIAL_KEY, open_checker, structure_problems  # noqa: E402
from pipeline.snapshot import WorkTree  # noqa: E402


@dataclass(frozen=True)
class Target:
    html: Path  # the file both checkers read
    folder: Path  # where its relative images are


@dataclass(frozen=True)
class Verdicts:
    name: str
    official: frozenset[str]
    ours: frozenset[str]
    project_only: frozenset[str]  # our codes the official checker has no rule for

    @property
    def agree(self) -> bool:
        return bool(self.official) == bool(self.ours)


def render_samples(out: Path) -> list[Target]:
    policies = load_policies(PROJECT)
    themes = sorted(p.parent.name for p in (PROJECT / "themes").glob("*/theme.yaml"))
    targets = []
    for bundle in find_bundles(PROJECT):
        article = load_article(WorkTree(PROJECT), PurePosixPath(bundle))
        assert isinstance(article, Article), article
        folder = PROJECT / PurePosixPath(bundle).parent
        for theme in themes:
            html = out / f"{folder.name}-{theme}.html"
            html.write_text(render_article(article, policies, theme=theme).content + "\n", encoding="utf-8")
            targets.append(Target(html, folder))
    return targets


def official_keys(checker: str, targets: list[Target], out: Path) -> dict[Path, frozenset[str]]:
    report = out / "official.json"
    subprocess.run([checker, str(report), *(str(t.html) for t in targets)], check=True, stdout=subprocess.DEVNULL)
    keys: dict[Path, frozenset[str]] = {}
    for entry in json.loads(report.read_text(encoding="utf-8")):
        if "error" in entry:
            raise SystemExit(f"official checker failed on {entry['source']}: {entry['error']}")
        keys[Path(entry["source"]).resolve()] = frozenset(v["key"] for v in entry["violations"])
    return keys


def compare(targets: list[Target], official: dict[Path, frozenset[str]]) -> list[Verdicts]:
    results = []
    with open_checker() as checker:
        for target in targets:
            problems = structure_problems(checker, target.html.read_text(encoding="utf-8"), target.folder)
            codes = {p.rule for p in problems}
            results.append(Verdicts(target.html.name, official[target.html.resolve()],
                                    frozenset(OFFICIAL_KEY[c] for c in codes if c in OFFICIAL_KEY),
                                    frozenset(c for c in codes if c not in OFFICIAL_KEY)))
    return results


def report(results: list[Verdicts]) -> str:
    lines = ["| file | WeChat | ours | project-only | verdicts |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {', '.join(sorted(r.official)) or 'valid'} | {', '.join(sorted(r.ours)) or 'valid'} "
                     f"| {', '.join(sorted(r.project_only))} | {'agree' if r.agree else 'DIFFER'} |")
    agree = sum(r.agree for r in results)
    lines += ["", f"verdicts agree on {agree} of {len(results)} files "
              f"(WeChat: {sum(not r.official for r in results)} valid, ours: {sum(not r.ours for r in results)} valid)", "",
              "| rule | both | WeChat only | ours only |", "|---|---|---|---|"]
    both, theirs, ours = Counter[str](), Counter[str](), Counter[str]()
    for r in results:
        both.update(r.official & r.ours)
        theirs.update(r.official - r.ours)
        ours.update(r.ours - r.official)
    for key in sorted(set(both) | set(theirs) | set(ours)):
        lines.append(f"| {key} | {both[key]} | {theirs[key]} | {ours[key]} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE.html")
    parser.add_argument("--checker", required=True, help="the official checker's command: CHECK OUT.json FILE...")
    parser.add_argument("--samples", action="store_true", help="also every article under content/ in every theme")
    parser.add_argument("--out", type=Path, help="where rendered samples and official.json go (default: a temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="wxpub-agreement-"))
    (out / "samples").mkdir(parents=True, exist_ok=True)
    targets = [Target(f.resolve(), f.resolve().parent) for f in args.files]
    if args.samples:
        targets += render_samples(out / "samples")
    if not targets:
        parser.error("nothing to compare: give HTML files or --samples")
    results = compare(targets, official_keys(args.checker, targets, out))
    print(report(results))
    return 0 if all(r.agree for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
