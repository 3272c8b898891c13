"""Adopting this repository as a template, as README's "Adopting it as a template" says.

A copy of HEAD (git archive: what GitHub's "Use this template" copies) becomes another school,
青山师范学院, by the README's steps applied in code: its `git rm` line, a policy of its own
(one account, two departments, other teams, other secret names), the two workflow edits (made
by the function `wxpub init` uses for the same edits), one article, and CODEOWNERS regenerated.
Then what CI checks passes: lint, `wxpub codeowners --check`; the sample school is gone from
what the school's CI and reviewers act on; and the article publishes into the sandbox, from an
empty ledger, once."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.policies import load_policies
from pipeline.scaffold import _WITH_SECRETS as WORKFLOWS_WITH_SECRETS  # the workflows that list secret names
from pipeline.scaffold import WORKFLOW_FILES, adapt_workflow
from tests.testing.fixtures import PROJECT, git, jpeg_bytes

README_SECTION = "## Adopting it as a template"
SAMPLE_TRACES = ("jcu-media", "江城大学", "WXPUB_OFFICIAL_", "WXPUB_CS_COLLEGE_", "WXPUB_YOUTH_")

ARTICLE = """---
title: 关于 2026 年冬季学期选课的通知
author: 周敏
department: jiaowu
category: 通知公告
cover: cover.jpg
original: true
---

冬季学期选课将于 12 月 8 日开始，请同学们按时登录教务系统选课。

## 选课安排

第一轮为必修课，第二轮为选修课。
"""


def _section() -> str:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    start = readme.index(README_SECTION)
    end = readme.index("\n## ", start + len(README_SECTION))
    return readme[start:end]


def _new_school(sample: dict[str, Any]) -> dict[str, Any]:
    """Step 3: the school's own policy. Limits, word lists and categories are kept from the
    sample (a school may keep them); everything that names the sample school is replaced."""
    return {
        "version": 1,
        "school": "青山师范学院",
        "governing_body": "xuanchuan",
        "timezone": "Asia/Shanghai",
        "departments": {
            "xuanchuan": {"name": "宣传部", "reviewers": ["@qsnu-media/xuanchuan"]},
            "jiaowu": {"name": "教务处", "reviewers": ["@qsnu-media/jiaowu"]},
        },
        "stages": {
            "department": {"name": "部门负责人审核", "department": "article"},
            "xuanchuan": {"name": "宣传部审核", "department": "xuanchuan"},
        },
        "accounts": {
            "news": {
                "name": "青山师范学院", "kind": "official", "type": "subscription", "operator": "xuanchuan",
                "contributors": ["xuanchuan", "jiaowu"], "approval_stages": ["department", "xuanchuan"],
                "publish_mode": "publish", "theme": "classic", "footer": "青山师范学院宣传部",
                "credentials": {"appid_env": "WXPUB_NEWS_APPID", "secret_env": "WXPUB_NEWS_SECRET"},
                "schedule": {"windows": ["12:00-13:00"], "daily_cap": 1},
            },
        },
        "categories": [c for c in sample["categories"] if "extra_stages" not in c]
                      + [{"name": "通知公告", "description": "各类通知"}],
        "content": sample["content"],
        "wordlists": [w for w in sample["wordlists"]],
        "regulations": {rid: f"《青山师范学院新媒体管理规定》第{i}条" for i, rid in
                        enumerate(sample["regulations"], start=1)},
    }


def _wxpub(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=root, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8"})


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("adopted") / "school"
    root.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=PROJECT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "admin@qsnu.example.invalid")
    git(root, "config", "user.name", "admin")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Create from template")
    return root


def test_the_readme_names_every_step_the_test_takes() -> None:
    section = _section()
    for needed in ("Use this template", "refs/wxpub/ledger", "git rm -r", "`test` job", "policies.yaml",
                   "credentials.appid_env", *WORKFLOWS_WITH_SECRETS, "wxpub codeowners --check", "wxpub schema --check",
                   "WXPUB_TRUSTED_COMMIT",
                   "docs/regulations.md", "docs/editors.md", "docs/setup.md"):
        assert needed in section, needed


def test_a_copy_adopted_as_the_readme_says_lints_checks_and_publishes(adopted: Path) -> None:
    root = adopted
    assert git(root, "for-each-ref", "refs/wxpub") == ""  # step 1: a template copy starts with no ledger

    # Step 2: the README's own command, then the workflow edits it describes
    [remove] = re.findall(r"^\s*\$ (git rm .*)$", _section(), re.M)
    subprocess.run(["bash", "-c", remove], cwd=root, check=True)
    assert not (root / "content").exists() and not (root / "tests").exists()

    # Step 3: the school's policy
    sample = yaml.safe_load((root / "policies.yaml").read_text(encoding="utf-8"))
    (root / "policies.yaml").write_text(yaml.safe_dump(_new_school(sample), allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    policies = load_policies(root)

    # Steps 2 and 4 in the workflows: the same edits `wxpub init` makes, to every workflow it
    # ships (the copy still installs itself: its setup action installs the checkout)
    workflows = root / ".github" / "workflows"
    assert sorted(p.name for p in workflows.glob("*.yml")) == sorted(WORKFLOW_FILES)
    for name in WORKFLOW_FILES:
        path = workflows / name
        path.write_text(adapt_workflow(name, path.read_text(encoding="utf-8"), policies), encoding="utf-8")
    setup = (root / ".github" / "actions" / "setup-wxpub" / "action.yml").read_text(encoding="utf-8")
    assert "pip install --no-deps --no-build-isolation ." in setup and (root / "requirements" / "ci.txt").is_file()
    assert "test" not in yaml.safe_load((workflows / "pull-request.yml").read_text(encoding="utf-8"))["jobs"]
    publish = yaml.safe_load((workflows / "publish.yml").read_text(encoding="utf-8"))
    env = next(s["env"] for s in publish["jobs"]["publish"]["steps"] if s.get("name") == "Publish")
    assert sorted(k for k in env if k.endswith(("_APPID", "_SECRET"))) == ["WXPUB_NEWS_APPID", "WXPUB_NEWS_SECRET"]

    # The first article
    bundle = root / "content" / "news" / "jiaowu" / "2026-12-01-course-selection"
    bundle.mkdir(parents=True)
    (bundle / "index.md").write_text(ARTICLE, encoding="utf-8")
    (bundle / "cover.jpg").write_bytes(jpeg_bytes())

    # Step 5: CODEOWNERS still names the sample's teams until it is regenerated
    stale = _wxpub(root, "codeowners", "--check")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert _wxpub(root, "codeowners").returncode == 0
    check = _wxpub(root, "codeowners", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    codeowners = (root / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    assert "/content/news/jiaowu/ @qsnu-media/jiaowu @qsnu-media/xuanchuan" in codeowners

    # ... and so does the editors' schema, until it is regenerated
    assert _wxpub(root, "schema", "--check").returncode == 1
    assert _wxpub(root, "schema").returncode == 0
    assert _wxpub(root, "schema", "--check").returncode == 0
    schema = (root / ".vscode" / "wxpub-front-matter.schema.json").read_text(encoding="utf-8")
    assert "教务处" in schema or "jiaowu" in schema

    lint = _wxpub(root, "lint")
    assert lint.returncode == 0 and "共检查 1 篇文章:0 个错误,0 个警告" in lint.stdout, lint.stdout + lint.stderr

    # Nothing the school's CI, reviewers or publisher act on names the sample school
    acted_on = [root / "policies.yaml", root / ".github" / "CODEOWNERS", *workflows.glob("*.yml"),
                *(root / ".vscode").glob("*.json"),
                *(root / "content").rglob("*.md")]
    traces = {p.relative_to(root).as_posix(): t for p in acted_on for t in SAMPLE_TRACES
              if t in p.read_text(encoding="utf-8")}
    assert traces == {}

    # The set-up commit (which the school names as WXPUB_TRUSTED_COMMIT), then a sandbox run
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Set up 青山师范学院")
    first = _wxpub(root, "publish", "--sandbox", "--now", "2026-12-01 12:30")
    assert first.returncode == 0 and "本次:已发表 1 篇" in first.stdout, first.stdout + first.stderr
    again = _wxpub(root, "publish", "--sandbox", "--now", "2026-12-01 12:40")
    assert again.returncode == 0 and "已发表 1 篇" not in again.stdout, again.stdout
    assert git(root, "for-each-ref", "--format=%(refname)", "refs/wxpub") == "refs/wxpub/sandbox-ledger"
