"""The Article value: front matter, body position and the content hash publishing relies on."""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

import pytest

from pipeline.content import Article, find_bundles, load_article
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import jpeg_bytes, write_article

REL = PurePosixPath("content/official/publicity/2026-10-20-sports-day/index.md")


def load(repo: Path) -> Article:
    article = load_article(WorkTree(repo), REL)
    assert isinstance(article, Article)
    return article


def test_article_fields(repo: Path) -> None:
    write_article(repo, body="第一段。\n")
    article = load(repo)
    assert (article.account, article.department_dir, str(article.bundle)) == (
        "official", "publicity", "content/official/publicity/2026-10-20-sports-day")
    assert article.front_matter["title"] == "学校举行秋季运动会"
    text = (repo / REL).read_text(encoding="utf-8").split("\n")
    assert text[article.body_line - 1:] == article.body.split("\n")
    assert article.line_of("author") == text.index("author: 王芳") + 1


def test_article_is_immutable(repo: Path) -> None:
    write_article(repo)
    article = load(repo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.body = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        article.front_matter["title"] = "x"  # type: ignore[index]


def test_hash_covers_markdown_and_media(repo: Path) -> None:
    write_article(repo, files={"photo.jpg": jpeg_bytes(300, 200)})
    first = load(repo).content_hash
    assert load(repo).content_hash == first  # stable
    (repo / REL.parent / "photo.jpg").write_bytes(jpeg_bytes(300, 200, color=(1, 2, 3)))
    second = load(repo).content_hash
    assert second != first  # a changed photo is a changed article
    (repo / REL.parent / "extra.jpg").write_bytes(jpeg_bytes(10, 10))
    third = load(repo).content_hash
    assert third not in (first, second)  # so is an added file
    (repo / REL).write_text((repo / REL).read_text(encoding="utf-8") + "补充一句。\n", encoding="utf-8")
    assert load(repo).content_hash not in (first, second, third)


def test_hash_does_not_follow_symlinks_out_of_the_repo(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"one")
    write_article(repo)
    (repo / REL.parent / "link.jpg").symlink_to(outside)
    before = load(repo).content_hash
    outside.write_bytes(b"two")  # content outside the repo must not matter
    assert load(repo).content_hash == before


def test_find_bundles_sorted_and_scoped(repo: Path) -> None:
    write_article(repo, slug="2026-10-02-b")
    write_article(repo, slug="2026-10-01-a")
    write_article(repo, account="youth", department="youth-league", slug="2026-10-03-c")
    assert [str(p) for p in find_bundles(repo)] == [
        "content/official/publicity/2026-10-01-a/index.md",
        "content/official/publicity/2026-10-02-b/index.md",
        "content/youth/youth-league/2026-10-03-c/index.md",
    ]
    assert [str(p) for p in find_bundles(repo, [repo / "content/youth"])] == ["content/youth/youth-league/2026-10-03-c/index.md"]
    one = repo / "content/official/publicity/2026-10-01-a/cover.jpg"
    assert [str(p) for p in find_bundles(repo, [one])] == ["content/official/publicity/2026-10-01-a/index.md"]
