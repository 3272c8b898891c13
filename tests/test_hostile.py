"""The hostile-input corpus (tests/testing/hostile.py) through the real CLI.

For every case: its first command (usually `wxpub lint --format json`) gives the exit code,
rule code, line and message the case names; `wxpub render` and `wxpub preview` on the article
succeed, or refuse with exit 2 exactly when lint found it unreadable or unrenderable (or the
policy is broken); `wxpub publish --sandbox` never exits 3 and
sends nothing WeChat would keep (no upload, draft, publication or mass send) unless the case
is a control that must publish; where asked, `wxpub approvals` on a pull request adding the
article fails closed. No command may print a traceback, exit 3, or run past the case's time
budget (a hang is reported as such, not waited out).
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from types import FrameType
from typing import Any, Iterator

import pytest

from pipeline.cli import main
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, commit_all, git, http, write_article
from tests.testing.hostile import BUNDLE, CASES, Case
from tests.testing.workflow_tokens import approvals_token

LUNCH = "2026-11-25 12:30"  # inside every sample account's publish window
SENT = ("uploads", "materials", "drafts", "publications", "mass_sends")  # what WeChat would keep


class Hung(BaseException):
    """A command ran past its budget. BaseException, so the CLI's catch-all cannot turn it
    into exit 3: the test fails saying it hung."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hung()


def wxpub(repo: Path, capsys: pytest.CaptureFixture[str], budget: float, *args: str) -> tuple[int, str, str]:
    """`wxpub --root REPO ARGS...` in this process, stopped after `budget` seconds."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    # Repeating: a signal that lands in a garbage-collector callback is swallowed there
    signal.setitimer(signal.ITIMER_REAL, budget, 1.0)
    try:
        try:
            code = main(["--root", str(repo), *args])
        except SystemExit as exit_:  # argparse refusing the command line
            code = int(exit_.code or 0)
    except Hung:
        pytest.fail(f"wxpub {' '.join(args)} ran past its {budget} s budget (hung)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "内部错误" not in err, err
    assert code != 3, err
    return code, out, err


def sent(url: str) -> dict[str, int]:
    world = http(url + "/sandbox/state")
    return {table: len(world[table]) for table in SENT}


def build(case: Case, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(PROJECT / "policies", repo / "policies")
    shutil.copytree(PROJECT / "themes", repo / "themes")
    policy = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
    (repo / "policies.yaml").write_text(case.policy(policy) if case.policy else policy, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "test")
    index = write_article(repo, front_matter=dict(case.front_matter), drop=case.drop, files=dict(case.files),
                          **({"body": case.body} if case.body is not None else {}))
    if case.index is not None:
        index.write_bytes(case.index if isinstance(case.index, bytes) else case.index.encode())
    for relative, data in case.repo_files.items():
        (repo / relative).write_bytes(data)
    if case.setup:
        case.setup(repo)
    return repo


def params() -> Iterator[Any]:
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=f"fixed by {case.fixed_by}")] if case.fixed_by else []
        yield pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_is_large_and_named_uniquely() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", list(params()))
def test_hostile_input(case: Case, tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`sandbox`: a fresh WeChat sandbox per case (tests/conftest.py)."""
    repo = build(case, tmp_path)
    expect = case.expect
    argv = tuple(word.replace("{repo}", str(repo)) for word in case.argv)
    first = argv + (("--format", "json") if argv[0] == "lint" else ())
    code, out, err = wxpub(repo, capsys, case.budget, *first)
    assert code == expect.exit, (code, out[-2000:], err[-2000:])
    findings: list[dict[str, Any]] = []
    if case.argv[0] == "lint" and code in (0, 1):
        findings = json.loads(out)["findings"]
        matching = [f for f in findings if (f["code"] == expect.code if expect.code else f["severity"] == "error")
                    and expect.fragment in f["message"] and (expect.line is None or f["line"] == expect.line)]
        if expect.code or code == 1:
            assert matching, findings
    elif expect.fragment:
        assert expect.fragment in err, err
    if not case.pipeline:
        return
    commit_all(repo, case.id)
    # render and preview refuse (exit 2, saying why) exactly what lint found unreadable or unrenderable
    unrenderable = expect.exit == 2 or any(f["code"].startswith("ART") or f["code"] in ("RENDER002", "BODY007") for f in findings
                                           if f["path"] != "policies.yaml")
    code, _, err = wxpub(repo, capsys, case.budget, "render", str(repo / BUNDLE))
    assert code == (2 if unrenderable else 0), (code, err)
    code, _, err = wxpub(repo, capsys, case.budget, "preview", str(repo / BUNDLE), "-o", str(tmp_path / "preview"))
    assert code == (2 if unrenderable else 0), (code, err)
    before = sent(sandbox)
    code, out, err = wxpub(repo, capsys, case.budget, "publish", "--sandbox-url", sandbox, "--now", LUNCH, "--format", "json")
    after = sent(sandbox)
    if expect.exit == 2:
        assert code == 2, (code, err)
    if expect.published:
        report = json.loads(out)
        assert len(report["published"]) == expect.published, report
    else:
        assert after == before, f"something was sent to WeChat: {before} -> {after}\n{out}"
        assert code in (1, 2) or not json.loads(out)["published"], out
    if case.approvals:
        approvals_fail_closed(repo, capsys, case)


def approvals_fail_closed(repo: Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    """A pull request adds the article, approved by its department and the publicity office
    but not by a school leader: 通知公告 (and 招生计划) need the leader, so it is not approved,
    whatever the article's encoding or front matter does to a parser. (A plain 学校新闻 needs
    no leader: the control case shows the same reviews do approve it.)"""
    path = f"{BUNDLE}/index.md"
    head = "h" * 40
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in {"publicity": ["pub-chief", "pub-editor"], "leadership": ["vice-president"]}.items():
            fake.set_team("jcu-media", slug, members)
        fake.add_pull(1, "editor-li", head, base_sha="b" * 40, files=[(path, "added", None)])
        fake.set_file(head, path, (repo / path).read_bytes())
        for reviewer in ("pub-chief", "pub-editor"):  # one person counts for one stage: two for the two stages
            fake.add_review(1, reviewer, "APPROVED", head)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GITHUB_REPOSITORY", fake.repo)
            env.setenv("WXPUB_FORGE_TOKEN", approvals_token(fake))
            env.setenv("GITHUB_API_URL", fake.url)
            code, out, err = wxpub(repo, capsys, case.budget, "approvals", "--pr", "1", "--format", "json")
    assert code == (0 if case.approved else 1), (code, out, err)
    assert json.loads(out)["approved"] is case.approved
