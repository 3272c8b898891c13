#!/usr/bin/env python3
"""Render the test corpus (tests/corpus/content) and the sample content/ in every theme, so
that anyone can run WeChat's official structure checker over the result:

    python tools/render_corpus.py OUT_DIR
    /path/to/checker OUT.json OUT_DIR/*.html

Each article becomes OUT_DIR/<name>.<theme>.html, exactly what `wxpub render -o FILE`
writes, where <name> is `corpus-<folder>` or `sample-<folder>`; its images are copied to
OUT_DIR/<name>.files/ and the HTML points at them, so the checker measures real pictures.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pipeline.content import Article, find_bundles, load_article  # noqa: E402
from pipeline.policies import load_policies  # noqa: E402
from pipeline.render import render_article  # noqa: E402
from pipeline.render.themes import available  # noqa: E402
from pipeline.snapshot import WorkTree  # noqa: E402

CORPUS = PROJECT / "tests" / "corpus" / "content"
SAMPLES = PROJECT / "content"


@dataclass(frozen=True)
class Rendered:
    name: str  # <prefix>-<bundle folder>
    theme: str
    html: str
    bundle: Path  # the bundle folder its images come from


def project_root(content: Path, into: Path) -> Path:
    """A project root at `into`: the project's policies and themes with `content` as its content/."""
    for name in ("policies", "themes"):
        shutil.copytree(PROJECT / name, into / name)
    shutil.copy(PROJECT / "policies.yaml", into / "policies.yaml")
    shutil.copytree(content, into / "content")
    return into


def render_all(root: Path, prefix: str) -> Iterator[Rendered]:
    """Every article under root/content in every theme, its images pointing at <name>.files/."""
    policies = load_policies(root)
    tree = WorkTree(root)
    for path in find_bundles(root):
        article = load_article(tree, PurePosixPath(path))
        if not isinstance(article, Article):
            raise SystemExit(f"{path}:{article.line}: {article.message}")
        name = f"{prefix}-{PurePosixPath(path).parent.name}"
        for theme in available(tree):
            rendered = render_article(article, policies, theme=theme, image_url=lambda image, n=name: f"{n}.files/{image.name}")
            yield Rendered(name, theme, rendered.content, root / PurePosixPath(path).parent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with tempfile.TemporaryDirectory() as temp:
        for prefix, content in (("corpus", CORPUS), ("sample", SAMPLES)):
            root = project_root(content, Path(temp) / prefix)
            for rendered in render_all(root, prefix):
                (out / f"{rendered.name}.{rendered.theme}.html").write_text(rendered.html + "\n", encoding="utf-8")
                files = out / f"{rendered.name}.files"
                if not files.exists():
                    shutil.copytree(rendered.bundle, files, ignore=shutil.ignore_patterns("*.md"))
                count += 1
    print(f"{count} files written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
