"""The pre-commit hook this repository offers (.pre-commit-hooks.yaml), run for real by
pre-commit in a content repository made by `wxpub init`: `pre-commit try-repo` clones this
checkout (with its uncommitted changes), installs it into a hook environment and runs
`wxpub-lint` on what is staged, as `git commit` would.

The hook environment is installed once per session (pip takes wxpub's dependencies from the
package index or pip's cache, the most of a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import __version__
from pipeline.scaffold import scaffold
from tests.testing.fixtures import PROJECT, VALID_BODY, commit_all, git, jpeg_bytes, write_article

HOOK = "wxpub-lint"
PHONE = "联系电话 13812345678。"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _pre_commit(school: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GIT_"))}
    env |= {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=school, env=env,
                          capture_output=True, text=True, timeout=900)


def _try(school: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <this checkout> wxpub-lint` on what is staged."""
    return _pre_commit(school, home, "try-repo", str(PROJECT), HOOK)


@pytest.fixture
def school(tmp_path: Path) -> Path:
    root = scaffold(tmp_path / "school", force=False).root
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "editor@example.invalid"],
                 ["config", "user.name", "editor"]):
        git(root, *args)
    commit_all(root, "wxpub init")
    return root


def test_the_manifest_and_the_scaffolded_config_are_valid_and_agree(school: Path, pre_commit_home: Path) -> None:
    assert _pre_commit(school, pre_commit_home, "validate-manifest", str(PROJECT / ".pre-commit-hooks.yaml")).returncode == 0
    checked = _pre_commit(school, pre_commit_home, "validate-config", ".pre-commit-config.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (repo,) = yaml.safe_load((school / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    setup = (school / ".github/actions/setup-wxpub/action.yml").read_text(encoding="utf-8")  # every workflow's install
    assert repo["rev"] == f"v{__version__}" and f"git+{repo['repo']}@v{__version__}" in setup  # what CI installs
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in repo["hooks"]] == [hook["id"]] == [HOOK]


def test_a_faulty_article_fails_the_hook_with_chinese_findings_and_a_clean_one_passes(
        school: Path, pre_commit_home: Path) -> None:
    bad = write_article(school, slug="2026-10-20-bad", body=VALID_BODY + PHONE)
    git(school, "add", str(bad.parent))
    failed = _try(school, pre_commit_home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "PII002" in failed.stdout and "疑似手机号码" in failed.stdout and "2026-10-20-bad/index.md" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr

    bad.write_text(bad.read_text(encoding="utf-8").replace(PHONE, ""), encoding="utf-8")
    git(school, "add", str(bad.parent))
    passed = _try(school, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_a_changed_image_lints_its_article(school: Path, pre_commit_home: Path) -> None:
    """The article itself is unchanged (committed before the hook was in use); a new photo
    in its folder, even in a subfolder, brings it to the hook."""
    bad = write_article(school, slug="2026-10-20-photos", body=VALID_BODY + PHONE)
    commit_all(school, "committed without the hook")
    (bad.parent / "photos").mkdir()
    (bad.parent / "photos" / "1.jpg").write_bytes(jpeg_bytes())
    git(school, "add", str(bad.parent / "photos" / "1.jpg"))
    failed = _try(school, pre_commit_home)
    assert failed.returncode == 1 and "2026-10-20-photos/index.md" in failed.stdout and "PII002" in failed.stdout


def test_a_word_list_change_lints_every_article(school: Path, pre_commit_home: Path) -> None:
    words = school / "policies/wordlists/prohibited.txt"
    words.write_text(words.read_text(encoding="utf-8") + "\n运动会\n", encoding="utf-8")
    git(school, "add", str(words))
    failed = _try(school, pre_commit_home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "2026-01-01-example/index.md" in failed.stdout and "运动会" in failed.stdout


def test_files_outside_the_articles_skip_the_hook(school: Path, pre_commit_home: Path) -> None:
    (school / "README.md").write_text("改了说明\n", encoding="utf-8")
    git(school, "add", "README.md")
    skipped = _try(school, pre_commit_home)
    assert skipped.returncode == 0 and "Skipped" in skipped.stdout
