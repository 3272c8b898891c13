"""The tokens a workflow job's steps hold, read from the workflow file itself and issued by the
fake GitHub, so a change to a job's `permissions:` (or to the permissions an App token step asks
for) changes what the tests allow: a job missing a permission fails here as it would on GitHub.

- `github_token`: the job's GITHUB_TOKEN, with the job's `permissions:` (else the workflow's).
  A job that states none would get the repository's default, which the file does not say:
  refused (tests/test_workflows.py also requires every job to state its permissions).
- `app_token`: the token `actions/create-github-app-token` mints in the job, with the
  `permission-*` inputs of that step. Without any, the token has every permission the App was
  installed with, which the file does not say either: refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.testing.fake_github import APP_LOGIN, LEVELS, SCOPES, FakeGitHub
from tests.testing.fixtures import PROJECT

WORKFLOWS = PROJECT / ".github" / "workflows"
APP_TOKEN_ACTION = "actions/create-github-app-token@"
# The scopes `read-all` / `write-all` set: every key of jobs.<job_id>.permissions
_JOB_SCOPES = sorted(SCOPES - {"metadata", "members"})


def _job(workflow: Path, job: str) -> tuple[dict[str, Any], dict[str, Any]]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    if job not in document.get("jobs", {}):
        raise KeyError(f"{workflow.name} has no job {job!r}")
    return document, document["jobs"][job]


def job_permissions(workflow: Path, job: str) -> dict[str, str]:
    """What the job's GITHUB_TOKEN may do: scope -> level (scopes not named are none)."""
    document, spec = _job(workflow, job)
    declared = spec["permissions"] if "permissions" in spec else document.get("permissions")
    if declared is None:
        raise ValueError(f"{workflow.name}: job {job} states no permissions: the repository's default would apply")
    if declared in ("read-all", "write-all"):
        return {scope: declared.removesuffix("-all") for scope in _JOB_SCOPES}
    if not isinstance(declared, dict):
        raise ValueError(f"{workflow.name}: job {job} has permissions {declared!r}, not a mapping")
    _check(workflow, job, declared)
    return {str(scope): str(level) for scope, level in declared.items()}


def app_permissions(workflow: Path, job: str) -> dict[str, str]:
    """What the App token minted in the job may do, from its step's `permission-*` inputs."""
    _, spec = _job(workflow, job)
    steps = [s for s in spec.get("steps", []) if str(s.get("uses", "")).startswith(APP_TOKEN_ACTION)]
    if len(steps) != 1:
        raise ValueError(f"{workflow.name}: job {job} has {len(steps)} steps using {APP_TOKEN_ACTION}, not one")
    inputs = steps[0].get("with") or {}
    declared = {key.removeprefix("permission-"): value for key, value in inputs.items() if key.startswith("permission-")}
    if not declared:
        raise ValueError(f"{workflow.name}: job {job}'s App token asks for no permission-* input: it would get all the App has")
    _check(workflow, job, declared)
    return {str(scope): str(level) for scope, level in declared.items()}


def _check(workflow: Path, job: str, declared: dict[str, Any]) -> None:
    for scope, level in declared.items():
        if scope not in SCOPES or level not in LEVELS:
            raise ValueError(f"{workflow.name}: job {job} declares {scope}: {level}, which GitHub does not know")


def github_token(fake: FakeGitHub, workflow: Path, job: str) -> str:
    """The job's GITHUB_TOKEN on `fake`."""
    return fake.mint(job_permissions(workflow, job))


def app_token(fake: FakeGitHub, workflow: Path, job: str) -> str:
    """The App token the job's create-github-app-token step mints, on `fake`."""
    return fake.mint(app_permissions(workflow, job), login=APP_LOGIN)


# The jobs whose steps the tests run against the fake, and the token each step holds
APPROVALS = WORKFLOWS / "approvals.yml"  # `wxpub approvals`: the App token (WXPUB_FORGE_TOKEN wins)
PUBLISH = WORKFLOWS / "publish.yml"  # `wxpub publish --require-approvals`: the App token
STATS = WORKFLOWS / "stats.yml"  # `wxpub report`: the job's GITHUB_TOKEN only


def approvals_token(fake: FakeGitHub) -> str:
    return app_token(fake, APPROVALS, "approvals")


def publish_token(fake: FakeGitHub) -> str:
    return app_token(fake, PUBLISH, "publish")


def report_token(fake: FakeGitHub) -> str:
    return github_token(fake, STATS, "stats")
