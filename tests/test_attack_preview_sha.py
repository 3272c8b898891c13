"""An outside attack on `/preview 张三 @<sha>` (wechat-preview.yml): getting onto a reviewer's
phone, or into the draft box, what the commenting reviewer never saw. Each test runs the job's
own step as the runner runs it (tests/testing/preview_job.py) against the fake GitHub; every
defect test ran red before its fix, and the held cases are kept so they stay held."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.cli import main

from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import commit_all, write_article
from tests.testing.preview_job import (
    ARTICLE, PREVIEW_WORKFLOW, PUSHED, SEEN, comment_on_pull, copy_line, preview_token, run_find_step, step_command,
)

ARTICLE_FILE = (ARTICLE + "/index.md", "modified", None)
# An article only the base branch changed: in the head, in no diff against that branch
HIDDEN = ("content/official/publicity/2026-10-21-unreviewed/index.md", "added", None)
FIND = "Find the pull request, its articles and who to send to"


def _ask(tmp_path: Path, github: FakeGitHub, how: str) -> tuple[int, str, str]:
    """A writer asks for pull request #7's head, SEEN, by comment or by label."""
    github.set_role("reviewer", "write")
    if how == "comment":
        return run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="issue_comment", PR_NUMBER="7",
                             COMMENT=f"/preview 张三 @{SEEN}")
    return run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target", PR_NUMBER="7",
                         LABELED_SHA=SEEN)


# -- the step runs in the shell the runner gives it --------------------------------------------------

def test_the_steps_run_as_the_runner_runs_them() -> None:
    """Without `shell`, a Linux runner runs `bash -e {0}` (no pipefail); the tests used their own
    `bash -e -o pipefail`, stricter than the runner, so a pipe that fails on the runner passed here."""
    workflow = yaml.safe_load(PREVIEW_WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["defaults"] == {"run": {"shell": "bash"}}
    assert step_command(PREVIEW_WORKFLOW, FIND, Path("/tmp/x.sh"))[:5] == ["bash", "--noprofile", "--norc", "-eo",
                                                                         "pipefail"]


@pytest.mark.parametrize("status", [502, 403])
def test_a_file_list_that_fails_part_way_sends_nothing(tmp_path: Path, status: int) -> None:
    """GitHub fails on the second page of the changed files (a 502, a secondary rate limit's 403):
    under the runner's `bash -e` the pipe into awk hid it, and the job went on with the first
    page's articles only (or none: "no article changed"), green, as if all had been sent."""
    files = [(f"content/official/publicity/2026-10-{day:02d}-a/index.md", "modified", None) for day in range(1, 29)]
    files += [(f"content/official/publicity/2026-11-{day:02d}-b/index.md", "modified", None) for day in range(1, 29)]
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, files=files)
        github.after_next("GET", f"/repos/{github.repo}/pulls/7/files", lambda: github.fail_next(status))
        code, output, log = _ask(tmp_path, github, "comment")
    assert code != 0 and output == "", log


def test_a_file_list_that_answers_sends_every_article(tmp_path: Path) -> None:
    """The control: 56 changed articles over two pages are all listed."""
    files = [(f"content/official/publicity/2026-10-{day:02d}-a/index.md", "modified", None) for day in range(1, 29)]
    files += [(f"content/official/publicity/2026-11-{day:02d}-b/index.md", "modified", None) for day in range(1, 29)]
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, files=files)
        code, output, log = _ask(tmp_path, github, "comment")
    assert code == 0, log
    listed = (tmp_path / "runner" / "articles").read_text(encoding="utf-8").split()
    assert listed == sorted(path.rsplit("/", 1)[0] for path, _, _ in files)


# -- a label names no commit ------------------------------------------------------------------------

def test_a_push_before_the_label_is_not_what_gets_sent(tmp_path: Path) -> None:
    """The reviewer reads SEEN's diff; meanwhile the author pushes PUSHED; the reviewer, on the
    page still showing SEEN, adds the label. The event's head is PUSHED (the head when the label
    went on), which the job sent: a commit the reviewer never saw, as the `@<sha>` of a comment
    now prevents. The label sends nothing and is answered with the line for the head."""
    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[ARTICLE_FILE])
        github.push(7, PUSHED)
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target",
                                          PR_NUMBER="7", LABELED_SHA=PUSHED)
        replies = list(github.comments)
    assert code != 0 and PUSHED not in output and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply) == f"/preview 张三 @{PUSHED}"  # after reading PUSHED's diff, one comment sends it


# -- the diff the reviewer read is against the branch that was approved --------------------------------

@pytest.mark.parametrize("how", ["comment", "label"])
def test_a_pull_request_into_another_branch_sends_nothing(tmp_path: Path, how: str) -> None:
    """The author (who can push branches) puts an unreviewed article on a branch `staging` of their
    own, then opens a pull request from a branch on top of it INTO `staging`, changing one line of
    a reviewed article. "Files changed" shows that line; the head also holds `staging`'s article,
    and the reviewer's `/preview … @head` sent both, the unreviewed one in no diff at all."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, base_ref="staging", files=[ARTICLE_FILE])
        code, output, log = _ask(tmp_path, github, how)
        assert github.comments == []
    assert code != 0 and output == "", log
    assert "默认分支" in log


@pytest.mark.parametrize("how", ["comment", "label"])
@pytest.mark.parametrize("automatic", [False, True])
def test_a_pull_request_retargeted_after_the_review_sends_nothing(tmp_path: Path, how: str, automatic: bool) -> None:
    """One step beyond: the reviewer reads the small diff against `staging` and asks for the head;
    before the job runs, the author changes the base to `main` (or deletes `staging` once a pull
    request of it is merged, and GitHub changes the base itself). The head is the one named, the
    base is now the default branch, and the diff the reviewer read left out `staging`'s article."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, base_ref="staging", files=[ARTICLE_FILE])
        github.retarget(7, "main", files=[ARTICLE_FILE, HIDDEN], automatic=automatic)
        code, output, log = _ask(tmp_path, github, how)
    assert code != 0 and output == "", log
    assert "目标分支改过" in log


def test_a_pull_request_retargeted_while_the_job_reads_it_sends_nothing(tmp_path: Path) -> None:
    """The base is changed right after the job read the pull request into `staging` … or into
    `main` from `staging`: either the base or the event list says so, whichever comes second."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, base_ref="staging", files=[ARTICLE_FILE])
        github.retarget(7, "staging")  # a base changed once, long before: still refused
        github.after_next("GET", f"/repos/{github.repo}/pulls/7",
                          lambda: github.retarget(7, "main", files=[ARTICLE_FILE, HIDDEN]))
        code, output, log = _ask(tmp_path, github, "comment")
    assert code != 0 and output == "", log


@pytest.mark.parametrize("status", [403, 404, 502])
def test_events_that_cannot_be_read_send_nothing(tmp_path: Path, status: int) -> None:
    """Fails closed: a token that may not read them (403), or GitHub failing, is no answer that
    the base never changed."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, files=[ARTICLE_FILE])
        github.after_next("GET", f"/repos/{github.repo}/pulls/7", lambda: github.fail_next(status))
        code, output, log = _ask(tmp_path, github, "comment")
        assert any(path.endswith("/issues/7/events") for path in github.paths())
    assert code != 0 and output == "", log


def test_a_force_push_is_not_a_base_change(tmp_path: Path) -> None:
    """The control: other events of the pull request (a force push back to the commit named) do not refuse it."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, files=[ARTICLE_FILE])
        github.push(7, "c" * 40, force=True)
        github.push(7, SEEN, force=True)
        code, output, log = _ask(tmp_path, github, "comment")
    assert code == 0, log
    assert output.splitlines() == [f"sha={SEEN}", "to=张三"]


# -- held: forks, and the events the job answers -------------------------------------------------------

@pytest.mark.parametrize("how", ["comment", "label"])
@pytest.mark.parametrize("fork", ["editor/site", "JCU-MEDIA/site-fork", None])
def test_a_pull_request_from_a_fork_sends_nothing(tmp_path: Path, how: str, fork: str | None) -> None:
    """Held: a fork's head (or a deleted fork's: `head.repo` null) is refused before anything is
    listed, whoever asks; the label's `if:` also filters it, a comment's cannot (no head in the event)."""
    with FakeGitHub() as github:
        github.add_pull(7, "editor", SEEN, files=[ARTICLE_FILE], head_repo=fork)
        code, output, log = _ask(tmp_path, github, how)
        assert not any("/files" in path for path in github.paths())
    assert code != 0 and output == "", log
    assert "fork" in log


def test_only_a_new_comment_or_label_is_heard() -> None:
    """Held: an edited comment runs nothing. On `edited` the sender is whoever edited, and the
    text the reviewer first wrote is gone; a new comment is the way to ask again."""
    workflow = yaml.safe_load(PREVIEW_WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["issue_comment"]["types"] == ["created"]
    assert triggers["pull_request_target"]["types"] == ["labeled"]


@pytest.mark.parametrize("comment", [f"/preview 张三 @{SEEN}\n/preview 李四 @{'c' * 40}",
                                     f"/preview 张三 @{'c' * 40}\n/preview 张三 @{SEEN}"])
def test_a_second_preview_line_is_not_heard(tmp_path: Path, comment: str) -> None:
    """Held: only the first line counts, whatever the later ones name."""
    code, output, log, _ = comment_on_pull(tmp_path, comment)
    if comment.startswith(f"/preview 张三 @{SEEN}"):
        assert code == 0 and output.splitlines() == [f"sha={SEEN}", "to=张三"], log
    else:
        assert code != 0 and output == "", log


# -- one article, one preview draft: two runs side by side ---------------------------------------------

def test_preview_runs_of_all_pull_requests_wait_for_each_other() -> None:
    """One group for the repository keeps preview runs apart, and `queue: max` keeps every
    waiting request (else a third cancels the second). It was the only guard while an article had
    one preview draft updated by every run; now each run previews a draft of its own that nobody
    changes (tests/test_preview_drafts.py), and the group still keeps runs in order."""
    workflow = yaml.safe_load(PREVIEW_WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["concurrency"] == {"group": "wechat-preview", "cancel-in-progress": False, "queue": "max"}
    (job,) = workflow["jobs"].values()
    assert "concurrency" not in job  # nothing narrower beside it


# -- whatever path the job lists, wxpub answers in words --------------------------------------------

def test_a_comment_on_no_pull_request_gets_nothing(tmp_path: Path) -> None:
    """Held: a number GitHub has no pull request for (a plain issue) stops at the first read."""
    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[ARTICLE_FILE])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="issue_comment",
                                          PR_NUMBER="8", COMMENT=f"/preview 张三 @{SEEN}")
        assert github.comments == []
    assert code != 0 and output == "", log


_SEGMENT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.tuples(_SEGMENT, _SEGMENT, _SEGMENT))
def test_any_article_path_the_job_lists_gets_a_clear_refusal(repo: Path, sandbox: str, parts: tuple[str, str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The job turns every changed file `content/a/b/c/...` into `content/a/b/c` and hands it to
    `wxpub preview --wechat … --rev` (a folder name is anything Git allows: spaces, `..`, control
    characters, `-x`, Chinese): none that is not an article of the commit ends in a traceback or
    reaches WeChat."""
    article = "content/" + "/".join(parts)
    assume(article != ARTICLE)
    if not (repo / ARTICLE).exists():
        write_article(repo)
        commit_all(repo, "one article")
    code = main(["--root", str(repo), "preview", "--wechat", article, "--rev", "HEAD", "--to", "张三",
                 "--sandbox-url", sandbox])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.startswith("错误"), (article, err)


@pytest.mark.parametrize("ref", ["\uff20" + SEEN, "@\u200b" + SEEN, "@" + SEEN + "\u200b", "@\ufeff" + SEEN,
                                 "@" + SEEN.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                                 "@" + SEEN[:20] + "\u00a0" + SEEN[20:], "@" + SEEN + "\u00a0", "@refs/heads/main",
                                 "@" + SEEN[:39] + "\u0430"])
def test_a_commit_that_only_looks_like_the_head_sends_nothing(tmp_path: Path, ref: str) -> None:
    """Held: a full-width `＠`, zero-width or no-break characters inside or around the sha,
    full-width digits, a Cyrillic letter for the last digit: nothing is sent, and the reply
    gives the head's line (the look-alike words stay words: wxpub refuses them as names)."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 {ref}")
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply).endswith(f" @{SEEN}")
