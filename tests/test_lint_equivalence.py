"""What each rule finds stays exactly what it found before the lint speed work (issue 15).

bench/faulty_corpus.py generates 400 articles from a seed, each with 0-3 faults drawn from
about fifty kinds (personal data, listed words, hidden characters, bad covers and images,
front matter errors, suppressions, the school's rules...). tests/golden/lint-corpus.json is
the report the lint engine gave on that corpus before the speed work (written by
`python -m tests.test_lint_equivalence`, at the commit named in the file); every way of
running lint now must give the same report, in every field: one process, forked workers,
and through the findings cache, cold and warm (tests/test_lint_cache.py attacks the cache).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
GOLDEN = PROJECT / "tests" / "golden" / "lint-corpus.json"
ARTICLES, SEED = 400, 15


def _corpus_module() -> Any:
    spec = importlib.util.spec_from_file_location("faulty_corpus", PROJECT / "bench" / "faulty_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what depends on the day it runs (the accounts' certification dates)."""
    return {"files": report["files"], "suppressions": report["suppressions"],
            "findings": [f for f in report["findings"] if f["path"] != "policies.yaml"]}


def build(root: Path) -> Path:
    from tests.testing.fixtures import make_repo
    repo = make_repo(root)
    _corpus_module().write_corpus(repo, ARTICLES, SEED)
    return repo


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    codes = {f["code"] for f in golden["report"]["findings"]}
    # the reference must exercise the rules, or agreeing with it proves nothing
    assert len(codes) >= 45 and golden["report"]["files"] == ARTICLES and golden["report"]["suppressions"]
    return golden["report"]  # type: ignore[no-any-return]


def test_one_process_finds_what_the_reference_found(corpus: Path, expected: dict[str, Any],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from tests.testing.fixtures import lint_json
    _, report = lint_json(corpus, capsys, "--jobs", "1", "--no-cache")
    assert comparable(report) == expected


def test_workers_find_what_the_reference_found(corpus: Path, expected: dict[str, Any],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tests.testing.fixtures import lint_json
    _, report = lint_json(corpus, capsys, "--jobs", "2", "--no-cache")
    assert comparable(report) == expected


def test_the_findings_cache_cold_and_warm_finds_what_the_reference_found(
        corpus: Path, expected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.testing.fixtures import lint_json
    cache = str(tmp_path / "cache")
    for jobs in ("1", "1", "2"):  # cold, warm in one process, warm over workers
        _, report = lint_json(corpus, capsys, "--jobs", jobs, "--cache-dir", cache)
        assert comparable(report) == expected
    assert (tmp_path / "cache" / "lint.sqlite").stat().st_size > 100_000  # the warm runs had entries to use


if __name__ == "__main__":  # write the reference with the engine checked out here
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        repo = build(Path(folder))
        done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint", "--format", "json",
                               "--jobs", "1"], capture_output=True, text=True, cwd=PROJECT)
        commit = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        GOLDEN.write_text(json.dumps({"commit": commit, "articles": ARTICLES, "seed": SEED,
                                      "report": comparable(json.loads(done.stdout))},
                                     ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
