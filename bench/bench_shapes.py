#!/usr/bin/env python
"""Linear time for every input shape: lint (which parses, renders and reads the reader text)
of one article whose body repeats one shape 1, 2, 4, 8 and 16 times.

    .venv/bin/python bench/bench_shapes.py [--repeat K] [--scale F] [--shape NAME ...]

Each size is measured twice: `lint_one` on the article, and the floor, markdown-it-py parsing
the same body (`pipeline.markdown.parser().parse`). The fastest of K rounds (default 9) counts
for each, and every round runs all sizes of a shape, floor then lint, back to back, so a burst
of other work on the machine hits both alike. Judged is lint's cost relative to the floor,
our own cost, lint(n) - parse(n), which is untouched by how markdown-it itself scales (not ours
to fix here). Its growth is fitted over 2x to 16x (1x is left out: fixed costs dominate it) as
an exponent, the slope of log(cost) over log(n): 1 for linear code, 2 for quadratic. One noisy
size moves a fit of four less than it moves one doubling. The run fails (exit 1) when the
exponent passes 1.38, that is when the cost per unit grows by more than 1.3x per doubling, and
prints a Markdown table either way.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.lint.engine import lint_one  # noqa: E402
from pipeline.markdown import parser  # noqa: E402
from pipeline.policies import load_policies  # noqa: E402
from tests.testing.fixtures import ARTICLE, make_repo, write_article  # noqa: E402

SIZES = (1, 2, 4, 8, 16)
LIMIT = 1 + math.log2(1.3)  # the exponent of our own cost: 1.3x per unit per doubling

# name -> (units at 1x, body of n units); each unit is a few dozen characters at most, so 16x of
# the base stays under the body and line limits the rules enforce (which would change the work)
Shape = Callable[[int], str]
SHAPES: dict[str, tuple[int, Shape]] = {
    "unclosed comments": (250, lambda n: "".join(f"第{i}行 <!-- 未闭合\n" for i in range(n))),
    "closed comments": (250, lambda n: "".join(f"第{i}行 <!-- 注释 -->\n" for i in range(n))),
    "links in one paragraph": (150, lambda n: "".join(f"[链接{i}](https://example.org/{i}) " for i in range(n)) + "\n"),
    "footnotes": (100, lambda n: "".join(f"第{i}条[^{i}]。" for i in range(n)) + "\n\n"
                  + "".join(f"[^{i}]: 注释{i}\n" for i in range(n))),
    "table rows": (150, lambda n: "| 项目 | 成绩 |\n|---|---|\n" + "".join(f"| 跳远{i} | {i} |\n" for i in range(n))),
    "list items": (150, lambda n: "".join(f"- 第{i}项\n" for i in range(n))),
    "nested lists": (20, lambda n: "".join("".join("  " * d + f"- 第{i}组{d}层\n" for d in range(8)) + "\n"
                                           for i in range(n))),
    "headings": (100, lambda n: "".join(f"## 第{i}节\n\n正文{i}。\n\n" for i in range(n))),
    "code blocks": (40, lambda n: "".join(f"```python\nx = {i}\nprint(x)\n```\n\n" for i in range(n))),
    "images": (40, lambda n: "".join(f"![图{i}](https://example.org/{i}.jpg)\n\n" for i in range(n))),
    "CJK without spaces": (40, lambda n: "运动会圆满结束同学们积极参加" * n + "\n"),
    "one long line": (25, lambda n: "运动会 sports day 圆满结束。" * n + "\n"),  # 16x: under BODY006's 10,000
    "unclosed backticks": (150, lambda n: "".join(f"第{i}行 `未闭合 " for i in range(n)) + "\n"),
    "unclosed emphasis": (150, lambda n: "".join(f"第{i}行 **未闭合 " for i in range(n)) + "\n"),
    "unclosed brackets": (150, lambda n: "".join(f"第{i}行 [未闭合 " for i in range(n)) + "\n"),
}


def exponent(sizes: tuple[int, ...], costs: list[float]) -> float:
    """Least-squares slope of log(cost) over log(size)."""
    xs, ys = [math.log(size) for size in sizes], [math.log(cost) for cost in costs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def timed(work: Callable[[], object]) -> float:
    """Seconds `work` takes once (the caller keeps the fastest of its rounds)."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def run(names: list[str], repeat: int, scale: float) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-shapes-") as folder:
        return run_in(make_repo(Path(folder)), names, repeat, scale)


def run_in(repo: Path, names: list[str], repeat: int, scale: float) -> bool:
    policies = load_policies(repo)
    md = parser()
    print("| shape | units at 1x | " + " | ".join(f"{size}x lint/parse ms" for size in SIZES)
          + " | exponent of our cost, 2x-16x |")
    print("|---|---|" + "---|" * len(SIZES) + "---|")
    passed = True
    for name in names:
        base, make = SHAPES[name]
        units = max(1, int(base * scale))
        bodies = {size: make(units * size) for size in SIZES}
        lint = {size: float("inf") for size in SIZES}
        floor = {size: float("inf") for size in SIZES}
        for _ in range(repeat):
            for size in SIZES:
                write_article(repo, body=bodies[size])
                floor[size] = min(floor[size], timed(lambda: md.parse(bodies[size])))
                lint[size] = min(lint[size], timed(lambda: lint_one(repo, policies, PurePosixPath(ARTICLE))))
        ours = [max(lint[size] - floor[size], 1e-9) for size in SIZES]
        growth = exponent(SIZES[1:], ours[1:])
        passed &= growth <= LIMIT
        cells = " | ".join(f"{lint[size] * 1000:.1f}/{floor[size] * 1000:.1f}" for size in SIZES)
        print(f"| {name} | {units} | {cells} | {growth:.2f}{'' if growth <= LIMIT else ' FAIL'} |")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per size; the fastest counts")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every shape's units at 1x")
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES), help="only these shapes")
    args = parser.parse_args()
    return 0 if run(args.shape or list(SHAPES), args.repeat, args.scale) else 1


if __name__ == "__main__":
    sys.exit(main())
