"""Large runs spread over processes must report exactly what a serial run reports, in order."""

from __future__ import annotations

from pathlib import Path

from pipeline.content import find_bundles
from pipeline.lint.engine import PARALLEL_THRESHOLD, lint_bundles
from pipeline.policies import load_policies
from tests.testing.fixtures import write_article


def test_parallel_equals_serial(repo: Path) -> None:
    for i in range(PARALLEL_THRESHOLD + 10):
        body = f"第 {i} 篇。联系电话 1381234{i:04d}。\n" if i % 7 == 0 else f"第 {i} 篇正文。\n"
        write_article(repo, slug=f"2026-10-01-n{i:03d}", body=body)
    policies = load_policies(repo)
    bundles = list(find_bundles(repo))
    serial = lint_bundles(repo, policies, bundles, jobs=1)
    parallel = lint_bundles(repo, policies, bundles, jobs=2)
    assert serial.files == parallel.files == PARALLEL_THRESHOLD + 10
    assert len(serial.findings) == 30  # every 7th article has a phone number
    assert parallel == serial
