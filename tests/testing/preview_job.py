"""wechat-preview.yml's steps, run as the job runs them: their own `run:` scripts in bash, with
`gh` talking to the fake GitHub over HTTP (gh is not on this machine; the step's shell, jq
and logic are what is under test), holding the job's own GITHUB_TOKEN: `preview_token` issues
it with the `permissions:` the workflow file declares for the job."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT
from tests.testing.workflow_tokens import github_token

PREVIEW_WORKFLOW = PROJECT / ".github" / "workflows" / "wechat-preview.yml"
ARTICLE = "content/official/publicity/2026-10-20-sports-day"
SEEN, PUSHED = "5eed" + "a" * 36, "5eed" + "c" * 36  # share 4 hex digits: fewer than a name may have


# How a Linux runner starts a `run:` script (workflow syntax, jobs.<job_id>.steps[*].shell):
# without a `shell` it is `bash -e {0}`, WITHOUT pipefail, so a failing command on the left of a
# pipe goes unnoticed; `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`. The tests
# run each step as the runner would, not in a stricter shell of their own.
RUNNER_SHELLS = {"": ("bash", "-e", "{0}"), "bash": ("bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}")}


def step_command(workflow: Path, name: str, script_file: Path) -> list[str]:
    """The command the runner runs for the step `name`, its script written to `script_file`:
    the step's `shell`, else the job's, else the workflow's `defaults.run.shell`, else none."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    (job,) = document["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    shell = (step.get("shell") or job.get("defaults", {}).get("run", {}).get("shell")
             or document.get("defaults", {}).get("run", {}).get("shell") or "")
    script_file.write_text(step["run"], encoding="utf-8")
    return [str(script_file) if word == "{0}" else word for word in RUNNER_SHELLS[shell]]


# `gh api PATH [--method M] [-f KEY=VALUE] [--paginate] [--jq EXPR]` as the GitHub CLI does it
GH = '''#!{python}
import json, os, subprocess, sys, urllib.error, urllib.request
assert sys.argv[1] == "api", sys.argv
method, fields, jq, paginate, rest = None, {{}}, None, False, []
words = iter(sys.argv[2:])
for word in words:
    if word in ("--method", "-X"):
        method = next(words)
    elif word in ("-f", "--raw-field"):  # a string field of the JSON body, as written (no @file, no types)
        key, _, value = next(words).partition("=")
        fields[key] = value
    elif word == "--jq":
        jq = next(words)
    elif word == "--paginate":
        paginate = True
    else:
        assert not word.startswith("-"), f"gh api has no option {{word}} here"
        rest.append(word)
(path,) = rest
method = method or ("POST" if fields else "GET")  # gh: fields make the request a POST
data = json.dumps(fields).encode() if fields else None
url = os.environ["GH_API_URL"] + "/" + path
while url:  # like gh, each page is written as it comes: a later page's failure leaves the earlier ones out
    request = urllib.request.Request(url, data=data, method=method, headers={{
        "Authorization": "Bearer " + os.environ["GH_TOKEN"], "Content-Type": "application/json"}})
    try:
        with urllib.request.urlopen(request) as response:
            body = json.load(response)
            links = response.headers.get("Link") or ""
    except urllib.error.HTTPError as error:  # gh's own words: GitHub's message and the status, exit 1
        said = json.loads(error.read() or b"{{}}").get("message", error.reason)
        sys.stderr.write(f"gh: {{said}} (HTTP {{error.code}})\\n")
        sys.exit(1)
    text = json.dumps(body)
    if jq is not None:
        text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=True).stdout
    sys.stdout.write(text if text.endswith("\\n") else text + "\\n")
    sys.stdout.flush()
    url = next((part.split(";")[0].strip(" <>") for part in links.split(",") if 'rel="next"' in part), "") if paginate else ""
'''


def preview_token(github: FakeGitHub, workflow: Path = PREVIEW_WORKFLOW) -> str:
    """The preview job's GITHUB_TOKEN (`GH_TOKEN: ${{ github.token }}`), as `workflow` declares it."""
    return github_token(github, workflow, "preview")


def run_find_step(tmp_path: Path, github_url: str, token: str, repo: str, *, workflow: Path = PREVIEW_WORKFLOW,
                  **event: str) -> tuple[int, str, str]:
    """The first step of `workflow` (wechat-preview.yml): (exit code, its GITHUB_OUTPUT, stdout+stderr)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(GH.format(python=sys.executable), encoding="utf-8")
    gh.chmod(0o755)
    (tmp_path / "runner").mkdir(exist_ok=True)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path / "runner"),
           "GITHUB_OUTPUT": str(output), "GITHUB_REPOSITORY": repo, "GH_API_URL": github_url, "GH_TOKEN": token,
           "DEFAULT_TO": "张三", "COMMENT": "", "SENDER": "reviewer", **event}
    command = step_command(workflow, "Find the pull request, its articles and who to send to",
                           tmp_path / "runner" / "find.sh")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    return result.returncode, output.read_text(encoding="utf-8"), result.stdout + result.stderr


def comment_on_pull(tmp_path: Path, comment: str, head: str = SEEN, *, commits: tuple[str, ...] = (),
                    during: str = "") -> tuple[int, str, str, list[tuple[int, str, str]]]:
    """`comment` by a writer on pull request #7, whose commits are `commits` then `head` when the
    job starts; with `during`, the author pushes that commit right after the job first reads the
    pull request. (exit code, GITHUB_OUTPUT, log, the comments the job made)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", (commits or (head,))[0], files=[(ARTICLE + "/index.md", "modified", None)])
        for sha in (*commits[1:], head) if commits else ():
            github.push(7, sha)
        if during:
            github.after_next("GET", f"/repos/{github.repo}/pulls/7", lambda: github.push(7, during))
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo,
                                          EVENT_NAME="issue_comment", PR_NUMBER="7", COMMENT=comment)
        return code, output, log, list(github.comments)


def copy_line(reply: str) -> str:
    """The line the reply gives to copy: the only line of its one fenced block."""
    (block,) = re.findall(r"^```\n(.*?)\n```$", reply, flags=re.M | re.S)
    assert "\n" not in block, block
    return block
