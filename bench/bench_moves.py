#!/usr/bin/env python
"""How long `publish.find_moves` takes when a department's folder is renamed: N published
articles of one account are gone from the commit and N new ones (the same articles, with
`department:` changed, so no content hash matches) appear. The ledger keeps the old paths, so
every publish run after such a move pays this again.

    .venv/bin/python bench/bench_moves.py [N ...]      # default: 50 150 500

Bodies are 1,200 random CJK characters (the sample policy's length limit); the articles are
loaded before the clock starts, so the time is the pairing: reader text and file hashes of
each article once, and the scoring of the pairs it tries.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.content import Article, load_article  # noqa: E402
from pipeline.ledger import Entry  # noqa: E402
from pipeline.messages import Publication  # noqa: E402
from pipeline.publish import find_moves  # noqa: E402
from pipeline.snapshot import WorkTree  # noqa: E402
from tests.testing.fixtures import make_repo, write_article  # noqa: E402

HAN = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]


def measure(count: int) -> tuple[int, float]:
    rnd = random.Random(count)
    root = make_repo(Path(tempfile.mkdtemp()))
    was: dict[str, Article] = {}
    now: list[Article] = []
    for i in range(count):
        body = "".join(rnd.choice(HAN) for _ in range(1200)) + "\n"
        for department in ("publicity", "school-office"):
            index = write_article(root, department=department, slug=f"2026-11-20-a{i}",
                                  front_matter={"title": f"标题{i}"}, body=body)
            article = load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))
            assert isinstance(article, Article), article
            if department == "publicity":
                was[str(article.path)] = article
            else:
                now.append(article)
    gone = {path: Publication(Entry(at="", run="bench", step="published", account="official", path=path,
                                    content_hash=article.content_hash, commit="bench"), "media", 1)
            for path, article in was.items()}
    started = time.perf_counter()
    moves = find_moves(gone, now, lambda publication: was[publication.path])
    return len(moves), time.perf_counter() - started


def main(argv: list[str]) -> int:
    print("| articles moved | pairs found | find_moves |\n|---:|---:|---:|")
    for count in [int(a) for a in argv] or [50, 150, 500]:
        found, seconds = measure(count)
        print(f"| {count} | {found} | {seconds:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
