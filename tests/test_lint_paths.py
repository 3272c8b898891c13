"""`wxpub lint FILE...` as pre-commit calls it, with the changed files: any file inside a bundle
stands for its article, the policy or a word list for every article, anything else for none."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.content import find_bundles
from tests.testing.fixtures import jpeg_bytes, lint_json, make_repo, write_article

_part = st.text(st.characters(whitelist_categories=("Ll", "Lo", "Nd")), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("paths"))
    write_article(root, slug="2026-10-20-a")
    write_article(root, account="youth", department="youth-league", slug="2026-10-21-b")
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_part, min_size=1, max_size=3))
def test_any_file_inside_a_bundle_is_its_article(repo: Path, parts: list[str]) -> None:
    bundle = repo / "content/official/publicity/2026-10-20-a"
    file = bundle.joinpath(*parts[:-1], parts[-1] + ".jpg")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(jpeg_bytes(8, 8))
    assert list(find_bundles(repo, [file])) == [PurePosixPath("content/official/publicity/2026-10-20-a/index.md")]


def test_a_file_outside_any_bundle_is_no_article(repo: Path) -> None:
    for name in ("content/README.md", "content/official/notes.txt", "content/official/publicity/list.txt"):
        (repo / name).write_text("x", encoding="utf-8")
        assert list(find_bundles(repo, [repo / name])) == [], name


@pytest.mark.parametrize("changed", ["policies.yaml", "policies/wordlists/prohibited.txt"])
def test_a_policy_file_lints_every_article(repo: Path, capsys: pytest.CaptureFixture[str], changed: str) -> None:
    (repo / "content/README.md").write_text("x", encoding="utf-8")
    code, report = lint_json(repo, capsys, str(repo / changed), str(repo / "content/README.md"))
    assert (code, report["files"]) == (0, 2)
    assert lint_json(repo, capsys, str(repo / "content/README.md"))[1]["files"] == 0
