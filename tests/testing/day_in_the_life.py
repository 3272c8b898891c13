"""A day in the life of a school's WeChat publishing, end to end: the one story that
tests/test_day_in_the_life.py checks and examples/day_in_the_life.py shows on screen.

Everything is real and local: a bare Git repository plays the school's GitHub repository
("origin"), with working clones for the editor, the CI runner and GitHub's merge button; the
fake GitHub (tests/testing/fake_github.py) serves pull requests, reviews and team membership
over HTTP; the WeChat sandbox stands for WeChat. People act with git and with GitHub reviews
sent over HTTP as themselves; CI acts with `wxpub` commands run as processes, exactly as a
workflow would run them. Each step checks what it must (exit codes, Chinese messages, the
sandbox's own state) and fails with a `StoryFailed` saying what went wrong.

The day (2026-11-25, a Wednesday):
 1. The school adopts wxpub; reviewers are members of their departments' GitHub teams.
 2. An editor of 计算机学院 writes a news article with a teacher's phone number in it and opens
    pull request #1; lint on the pull request fails at that line (PII002).
 3. The editor removes the number and pushes; lint passes.
 4. The department approves, then the publicity office (the policy orders the stages).
 5. The editor pushes a late correction: the approvals are stale; both stages approve again.
 6. The student union's two articles for 青春江大 (a draft-mode account) are approved in #2.
 7. Both are merged with real `git merge --no-ff` commits.
 8. 12:30: the publish run is killed (SIGKILL) just after WeChat created the draft of the
    student union's two-article message, before the run could record it.
 9. The next run finishes: every article out exactly once; the killed run's draft is found by
    its marker and adopted (draft mode: the draft is the result).
10. A notice (通知公告: department → publicity office → school leader) is approved, the
    leader's too-early approval not counting, and merged at 15:00.
11. 15:00 is outside the official account's publish windows: the notice waits.
12. 17:45, the evening window: the notice goes out.
13. The student union retracts one of its two articles (pull request #4, approved by the
    account's operator): the draft is rebuilt with its sibling alone.
14. The ledger, the sandbox and Git agree, and `wxpub status --verify` says so.
15. At night someone with admin rights pushes an article straight to main: it is not published.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

import pygit2

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.publish import articles_on
from pipeline.sandbox import start_in_thread
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, commit_all, git, http, jpeg_bytes, make_repo, write_article
from tests.testing.workflow_tokens import APPROVALS, PUBLISH, app_token
from tests.testing.publishing import (
    KillPoint, finish, kill_at, ledger_problems, publisher, publisher_argv, sandbox_problems, world,
)

DAY = "2026-11-25"  # a Wednesday
REPO = "jcu-media/site"
ORG = REPO.split("/")[0]
# GitHub teams (policies.yaml names them @jcu-media/<department>) and their members
TEAMS = {"cs-college": ["cs-dean"], "publicity": ["pub-chief", "pub-editor"], "academic-affairs": ["aa-head"],
         "leadership": ["vice-president"], "youth-league": ["league-secretary"], "student-union": ["su-chair"]}


@dataclass(frozen=True)
class Article:
    account: str
    department: str
    slug: str
    title: str
    category: str
    body: str
    shade: int  # 0-255, the cover's colour: each article has a cover of its own

    @property
    def bundle(self) -> str:
        return f"content/{self.account}/{self.department}/{self.slug}"

    @property
    def path(self) -> str:
        return f"{self.bundle}/index.md"

    def write(self, root: Path, body: str | None = None) -> Path:
        return write_article(root, account=self.account, department=self.department, slug=self.slug,
                             body=body if body is not None else self.body,
                             front_matter={"title": self.title, "author": "李明", "category": self.category},
                             files={"cover.jpg": jpeg_bytes(900, 500, color=(self.shade, 120, 255 - self.shade))})


PHONE = "13812345678"
ROBOTS = Article("official", "cs-college", f"{DAY}-robot-contest", "计算机学院学生获机器人大赛一等奖", "校园动态",
                 "11 月 22 日，我校计算机学院代表队在全国大学生机器人大赛中获得一等奖。\n\n"
                 f"指导教师办公室电话：{PHONE}。\n", 30)
ROBOTS_FIXED = ROBOTS.body.replace(f"指导教师办公室电话：{PHONE}。", "指导教师办公室：信息楼 302 室。")
ROBOTS_CORRECTED = ROBOTS_FIXED.replace("获得一等奖。", "获得一等奖，比赛共有 40 所高校参加。")
CLUBS = Article("youth", "student-union", f"{DAY}-club-fair", "百团大战：社团招新开始", "学生活动",
                "本周六上午，校学生会在东操场举办社团招新活动，欢迎新同学参加。\n", 80)
VOLUNTEERS = Article("youth", "student-union", f"{DAY}-volunteers", "冬季志愿服务队招募", "学生活动",
                     "校学生会招募冬季志愿服务队队员，服务时间为每周末上午。\n", 130)
NOTICE = Article("official", "academic-affairs", f"{DAY}-exam-notice", "关于期末考试安排的通知", "通知公告",
                 "本学期期末考试定于 2027 年 1 月 4 日至 1 月 15 日进行，具体安排请查看教务系统。\n", 180)
BYPASS = Article("official", "info-center", f"{DAY}-network-upgrade", "校园网今晚升级", "通知公告",
                 "今晚 23 点至次日 1 点，校园网升级维护，期间无法访问。\n", 230)


class StoryFailed(AssertionError):
    """A step did not go as the story says."""


@dataclass(frozen=True)
class Ran:
    """One command someone ran, and what it did."""

    who: str  # editor | runner | github (GitHub's merge button) | a reviewer's login
    shown: str  # the command as a person would type it
    code: int | None  # None: killed
    out: str
    err: str
    seconds: float = 0.0


class Narrator(Protocol):
    """Who watches the story: the script prints it, the test keeps it for failure messages."""

    def step(self, number: int, zh: str, en: str) -> None: ...

    def ran(self, ran: Ran) -> None: ...

    def checked(self, zh: str, en: str) -> None: ...


@dataclass
class Transcript:
    """A narrator that keeps everything; `tail` for a failure message."""

    lines: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)  # per step, how many checks passed

    def step(self, number: int, zh: str, en: str) -> None:
        self.steps.append(en)
        self.checks.append(0)
        self.lines.append(f"== {number}. {zh} / {en}")

    def ran(self, ran: Ran) -> None:
        code = "killed" if ran.code is None else f"exit {ran.code}"
        self.lines.append(f"({ran.who}) $ {ran.shown}  → {code}, {ran.seconds:.1f} s")
        self.lines.extend(f"    {line}" for line in (ran.out + ran.err).splitlines())

    def checked(self, zh: str, en: str) -> None:
        self.checks[-1] += 1
        self.lines.append(f"  ✓ {zh} / {en}")

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.lines[-n:])


@dataclass
class Day:
    """The world of the story and the moves its people make."""

    home: Path
    github: FakeGitHub
    sandbox: str
    narrator: Narrator
    origin: Path = field(init=False)
    editor: Path = field(init=False)
    runner: Path = field(init=False)
    merger: Path = field(init=False)
    trusted: str = ""  # the commit the school adopted wxpub at
    expected: dict[str, str] = field(default_factory=dict)  # title -> publish mode: what must be out now
    in_flight: dict[str, str] = field(default_factory=dict)  # title -> mode: in a killed run's unrecorded draft
    authors: dict[int, str] = field(default_factory=dict)  # pull request -> its author
    bases: dict[int, str] = field(default_factory=dict)  # pull request -> base.sha GitHub reports
    tokens: dict[str, str] = field(default_factory=dict)  # reviewer or workflow file -> its GitHub token
    killed_draft: str = ""  # media_id of the draft the killed run made
    said: list[str] = field(default_factory=list)  # everything every command printed

    def __post_init__(self) -> None:
        self.origin = self.home / "origin.git"
        self.editor = self.home / "editor"
        self.runner = self.home / "runner"
        self.merger = self.home / "github-merge"

    # -- checks ----------------------------------------------------------------------------

    def check(self, ok: bool, zh: str, en: str, detail: object = "") -> None:
        if not ok:
            raise StoryFailed(f"{zh} / {en}" + (f"\n{detail}" if detail != "" else ""))
        self.narrator.checked(zh, en)

    def sandbox_state(self) -> dict[str, Any]:
        """What the sandbox holds of articles (without the accounts' ledger anchors)."""
        return world(self.sandbox)

    def check_out_once(self) -> None:
        """The invariant after every step, from the sandbox's own state: each article that
        should be out is out once, in its account's mode, and nothing else is there (beyond
        the unrecorded draft of a killed run, `in_flight`, which the next run adopts)."""
        problems = sandbox_problems(self.sandbox_state(), self.expected, self.in_flight)
        n, flying = len(self.expected), len(self.in_flight)
        if n == 0 and flying == 0:
            self.check(not problems, "微信(沙箱)中还什么都没有", "nothing in WeChat (the sandbox) yet", problems)
            return
        self.check(not problems, f"微信(沙箱)中:{n} 篇各一次,0 重复,0 丢失,0 孤立草稿"
                   + (f";另有 {flying} 篇在中断的运行建好、尚未记录的草稿中" if flying else ""),
                   f"in WeChat (the sandbox): {n} article{'s' if n != 1 else ''} once each, 0 duplicates, 0 lost, "
                   "0 orphan drafts" + (f"; {flying} more in the draft the killed run made but did not record"
                                        if flying else ""), problems)

    # -- commands --------------------------------------------------------------------------

    def forge_env(self, workflow: Path = PUBLISH) -> dict[str, str]:
        """What the approvals and publish workflows give wxpub: the forge, with the token the
        workflow's App step asks for (it stays out of output), and the repository variable naming
        where trusted history starts."""
        if workflow.name not in self.tokens:
            self.tokens[workflow.name] = app_token(self.github, workflow, workflow.stem)
        token = self.tokens[workflow.name]
        return {"GITHUB_REPOSITORY": REPO, "WXPUB_FORGE_TOKEN": token, "GITHUB_API_URL": self.github.url,
                "WXPUB_TRUSTED_COMMIT": self.trusted}

    def show(self, argv: Sequence[str]) -> str:
        """argv as a person would type it: `wxpub` for the module, folders by their role."""
        words = list(argv)
        if words[:3] == [sys.executable, "-m", "pipeline"]:
            words = ["wxpub", *words[3:]]
        if len(words) > 2 and words[1] == "--root":
            del words[1:3]  # run in that clone
        text = shlex.join(words)
        for path, name in ((self.origin, "origin.git"), (self.home, ".")):
            text = text.replace(str(path), name)
        return text.replace(self.sandbox, "$SANDBOX")

    def run(self, who: str, where: Path, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> Ran:
        started = time.monotonic()
        result = subprocess.run(list(argv), cwd=where, capture_output=True, text=True, timeout=180,
                                env={**os.environ, **(env or {})})
        ran = Ran(who, self.show(argv), result.returncode, result.stdout, result.stderr, time.monotonic() - started)
        self.tell(ran)
        if "Traceback" in result.stderr:
            raise StoryFailed(f"a traceback from {ran.shown}:\n{result.stderr}")
        return ran

    def tell(self, ran: Ran) -> None:
        self.said.append(ran.out + ran.err)
        self.narrator.ran(ran)

    def git(self, who: str, where: Path, *args: str) -> Ran:
        ran = self.run(who, where, ["git", *args])
        if ran.code != 0:
            raise StoryFailed(f"git {' '.join(args)} failed:\n{ran.err}")
        return ran

    def wxpub(self, who: str, where: Path, *args: str, workflow: Path = PUBLISH) -> Ran:
        """`wxpub ARGS` on the clone `where`, run from this checkout (so its own pipeline runs),
        with what `workflow` gives it."""
        return self.run(who, PROJECT, [sys.executable, "-m", "pipeline", "--root", str(where), *args],
                        env=self.forge_env(workflow))

    def publish(self, now: str) -> tuple[int, dict[str, Any]]:
        """The publish workflow on the runner: fetch main, `wxpub publish` as CI runs it."""
        self.refresh_runner()
        started = time.monotonic()
        process = publisher(self.runner, self.sandbox, "--push", "origin", "--require-approvals", now=now,
                            env=self.forge_env())
        code, report, err = finish(process)
        self.said.append(json.dumps(report, ensure_ascii=False))
        self.tell(Ran("runner", self.show(publisher_argv(self.runner, self.sandbox, "--push", "origin",
                                                         "--require-approvals", now=now)),
                      code, _report_lines(report), err, time.monotonic() - started))
        return code, report

    def refresh_runner(self) -> None:
        """The workflow's checkout of main."""
        self.git("runner", self.runner, "pull", "-q", "--ff-only", "origin", "main")

    # -- GitHub ----------------------------------------------------------------------------

    def open_pull(self, number: int, author: str, branch: str) -> None:
        """The editor opened a pull request of `branch` (pushed to origin) into main."""
        self.authors[number] = author
        self.bases[number] = git(self.origin, "rev-parse", "refs/heads/main")
        self.pushed(number, branch)

    def pushed(self, number: int, branch: str) -> None:
        """GitHub's view of the pull request follows its branch: head, files, contents."""
        self.github.pull_from_git(number, self.authors[number], self.origin, base=self.bases[number],
                                  head=git(self.origin, "rev-parse", f"refs/heads/{branch}"))

    def head(self, number: int) -> str:
        return str(self.github_json(f"/repos/{REPO}/pulls/{number}", self.github.token)["head"]["sha"])

    def github_json(self, path: str, token: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.github.url + path, data=data, method="POST" if data else "GET",
                                         headers={"Authorization": f"token {token}", "Content-Type": "application/json",
                                                  "Accept": "application/vnd.github+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def approve(self, number: int, reviewer: str) -> None:
        """`reviewer` approves the pull request's latest commit on GitHub, as themselves."""
        if reviewer not in self.tokens:
            self.tokens[reviewer] = self.github.token_for(reviewer)
        token = self.tokens[reviewer]
        head = self.head(number)
        review = self.github_json(f"/repos/{REPO}/pulls/{number}/reviews", token,
                                  {"event": "APPROVE", "commit_id": head, "body": "同意发布"})
        shown = f"POST /repos/{REPO}/pulls/{number}/reviews event=APPROVE commit_id={head[:8]}  (在 GitHub 上批准)"
        self.tell(Ran(reviewer, shown, 0, f"review {review['id']}: {review['state']}\n", ""))

    def approvals(self, number: int) -> Ran:
        """The approvals workflow: `wxpub approvals` from a checkout of main."""
        self.refresh_runner()
        return self.wxpub("runner", self.runner, "approvals", "--pr", str(number), "--status", "--request-next",
                          workflow=APPROVALS)

    def merge(self, number: int, branch: str) -> str:
        """GitHub's merge button: a real merge commit on main, recorded as the pull request's merge."""
        self.git("github", self.merger, "fetch", "-q", "origin")
        self.git("github", self.merger, "merge", "-q", "--ff-only", "origin/main")
        onto = git(self.merger, "rev-parse", "HEAD")
        head = git(self.merger, "rev-parse", f"origin/{branch}")
        self.git("github", self.merger, "merge", "-q", "--no-ff", "-m",
                 f"Merge pull request #{number} from {ORG}/{branch}", f"origin/{branch}")
        self.git("github", self.merger, "push", "-q", "origin", "main")
        merged = git(self.merger, "rev-parse", "HEAD")
        self.github.merge_from_git(number, self.authors[number], self.origin, head=head, merge_commit=merged,
                                   onto=onto, base_sha=self.bases[number])
        return merged

    # -- the editor ------------------------------------------------------------------------

    def branch(self, name: str) -> None:
        self.git("editor", self.editor, "fetch", "-q", "origin")
        self.git("editor", self.editor, "checkout", "-q", "-b", name, "origin/main")

    def commit_and_push(self, message: str, branch: str) -> None:
        self.git("editor", self.editor, "add", "-A")
        self.git("editor", self.editor, "commit", "-q", "-m", message)
        self.git("editor", self.editor, "push", "-q", "origin", branch)

    # -- the ledger ------------------------------------------------------------------------

    def ledger(self, where: Path | None = None) -> Ledger:
        return Ledger.open(where or self.runner, ref=SANDBOX_LEDGER_REF)


def _report_lines(report: Mapping[str, Any]) -> str:
    """`wxpub publish --format json` as one line per article: status, path, message."""
    lines = [f"{item['status']}\t{item['path'] or '-'}\t{item['message']}"
             for group in ("published", "retracted", "queued", "failed") for item in report.get(group, [])]
    return "\n".join(lines) + ("\n" if lines else "(nothing to do)\n")


def _paths(report: Mapping[str, Any], group: str) -> list[str]:
    return sorted(str(item["path"]) for item in report.get(group, []))


# -- the story -----------------------------------------------------------------------------------


def adopt(day: Day) -> None:
    """The school's repository with its policy, word lists and themes; clones; GitHub teams."""
    seed = make_repo(day.home)  # home/repo: what the school starts from
    day.trusted = commit_all(seed, "The school adopts wxpub")
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(day.origin)], check=True)
    shutil.rmtree(seed)
    for clone in (day.editor, day.runner, day.merger):
        day.git("school", day.home, "clone", "-q", str(day.origin), str(clone))
        git(clone, "config", "user.email", f"{clone.name}@jcu.example")
        git(clone, "config", "user.name", clone.name)
        (clone / ".git" / "info" / "exclude").write_text(".wxpub/\n", encoding="utf-8")  # sandbox secrets
    for slug, members in TEAMS.items():
        day.github.set_team(ORG, slug, members)
    day.check(git(day.origin, "rev-parse", "main") == day.trusted, "学校仓库已建立;此提交是可信起点(WXPUB_TRUSTED_COMMIT),之后的改动都须经合并请求",
              "the school's repository exists; this commit is where trusted history starts (WXPUB_TRUSTED_COMMIT): "
              "every later change must come through a pull request")


def write_with_a_mistake(day: Day) -> None:
    day.branch("news/robot-contest")
    index = ROBOTS.write(day.editor)
    day.commit_and_push("计算机学院获奖新闻", "news/robot-contest")
    day.open_pull(1, "editor-wang", "news/robot-contest")
    ran = day.wxpub("editor", day.editor, "lint", "--changed-since", "origin/main", "--format", "github")
    line = 1 + index.read_text(encoding="utf-8").split(PHONE)[0].count("\n")
    annotation = re.search(r"^::error file=([^,]+),line=(\d+),col=\d+,title=PII002::(.*)$", ran.out, re.MULTILINE)
    day.check(ran.code == 1 and annotation is not None, "检查失败(退出码 1),PII002 标在合并请求的文件上",
              "lint fails (exit 1) with a PII002 annotation on the pull request", ran.out)
    assert annotation is not None
    day.check((annotation.group(1), int(annotation.group(2))) == (ROBOTS.path, line),
              f"标注指向 {ROBOTS.path} 第 {line} 行", f"the annotation points at {ROBOTS.path}, line {line}",
              annotation.group(0))
    day.check("疑似手机号码 138****5678" in annotation.group(3) and PHONE not in ran.out,
              "提示「疑似手机号码」,号码已打码", "the message says 疑似手机号码 and masks the number", annotation.group(3))


def fix_the_mistake(day: Day) -> None:
    ROBOTS.write(day.editor, ROBOTS_FIXED)
    day.commit_and_push("删除电话号码", "news/robot-contest")
    day.pushed(1, "news/robot-contest")
    ran = day.wxpub("editor", day.editor, "lint", "--changed-since", "origin/main", "--format", "github")
    day.check(ran.code == 0 and "::error" not in ran.out, "改正后检查通过", "after the fix, lint passes", ran.out)


def approve_in_order(day: Day) -> None:
    day.approve(1, "cs-dean")
    ran = day.approvals(1)
    day.check(ran.code == 1 and "⏳ 尚未完成审批" in ran.out and _row(ran.out, "部门负责人审核(计算机学院)", "✅ 已通过")
              and _row(ran.out, "党委宣传部审核", "还需 1 人批准"),
              "部门已批准,还等宣传部", "the department approved; the publicity office is still needed", ran.out)
    day.check((1, ["publicity"]) in day.github.review_requests and day.github.statuses[-1]["state"] == "failure",
              "已请宣传部审核,状态 wxpub/approvals 为 failure",
              "the publicity team was asked to review; wxpub/approvals is failure", day.github.review_requests)
    day.approve(1, "pub-chief")
    ran = day.approvals(1)
    day.check(ran.code == 0 and "✅ 审批已完成" in ran.out and day.github.statuses[-1]["state"] == "success",
              "两级审批完成,状态为 success", "both stages approved; the status is success", ran.out)


def stale_after_a_push(day: Day) -> None:
    ROBOTS.write(day.editor, ROBOTS_CORRECTED)
    day.commit_and_push("补充参赛高校数量", "news/robot-contest")
    day.pushed(1, "news/robot-contest")
    ran = day.approvals(1)
    head = day.head(1)
    day.check(ran.code == 1 and "⏳ 尚未完成审批" in ran.out and f"`{head[:8]}`" in ran.out
              and _row(ran.out, "部门负责人审核(计算机学院)", "—"),
              "新的推送之后,之前的批准不再计入", "after a new push the earlier approvals no longer count", ran.out)
    day.approve(1, "cs-dean")
    day.approve(1, "pub-chief")
    ran = day.approvals(1)
    day.check(ran.code == 0 and "✅ 审批已完成" in ran.out, "重新批准后审批完成", "approved again: complete", ran.out)


def youth_articles(day: Day) -> None:
    day.branch("youth/two-articles")
    CLUBS.write(day.editor)
    VOLUNTEERS.write(day.editor)
    day.commit_and_push("学生会两篇推送", "youth/two-articles")
    day.open_pull(2, "editor-zhao", "youth/two-articles")
    ran = day.wxpub("editor", day.editor, "lint", "--changed-since", "origin/main", "--format", "github")
    day.check(ran.code == 0, "两篇文章检查通过", "both articles pass lint", ran.out)
    day.approve(2, "su-chair")
    day.approve(2, "league-secretary")
    ran = day.approvals(2)
    day.check(ran.code == 0 and _row(ran.out, "部门负责人审核(校学生会)", "✅ 已通过")
              and _row(ran.out, "校团委审核", "✅ 已通过"),
              "学生会、校团委依次批准", "the student union, then the youth league committee approved", ran.out)


def merge_both(day: Day) -> None:
    day.merge(1, "news/robot-contest")
    merged = day.merge(2, "youth/two-articles")
    parents = git(day.origin, "rev-list", "--parents", "-n", "1", merged).split()[1:]
    on_main = articles_on(day.origin, pygit2.Repository(str(day.origin)).revparse_single("main").peel(pygit2.Commit))
    day.check(len(parents) == 2 and {str(p) for p in on_main} == {ROBOTS.path, CLUBS.path, VOLUNTEERS.path},
              "两个合并提交,main 上有三篇文章", "two merge commits; main holds three articles", on_main)


def killed_half_way(day: Day) -> None:
    """Kill the run once WeChat has made the youth draft (draft/add #3: the news's draft, then its
    account's ledger anchor, come first), before it is recorded."""
    day.refresh_runner()
    point = KillPoint("call", "draft/add", 3, "after")
    argv = ("--push", "origin", "--require-approvals")
    now = f"{DAY} 12:30"
    reached = kill_at(day.runner, day.sandbox, point, day.home, *argv, now=now, env=day.forge_env())
    day.tell(Ran("runner", day.show(publisher_argv(day.runner, day.sandbox, *argv, now=now)), None,
                 "(SIGKILL right after WeChat created the student union's draft / 微信建好学生会的草稿后被强行终止)\n", ""))
    day.check(reached, "发布运行在学生会草稿的 draft/add 生效后被 SIGKILL",
              "the run was SIGKILLed after the student union's draft/add took effect")
    day.expected = {ROBOTS.title: "publish"}
    day.in_flight = {CLUBS.title: "draft", VOLUNTEERS.title: "draft"}
    drafts = day.sandbox_state()["drafts"]
    day.check([[a["title"] for a in d["articles"]] for d in drafts] == [[CLUBS.title, VOLUNTEERS.title]],
              "微信草稿箱里已有这两篇的草稿,运行却没来得及记下", "WeChat holds the two articles' draft; "
              "the run died before recording it", drafts)
    day.killed_draft = str(drafts[0]["media_id"])
    ran = day.wxpub("runner", day.runner, "status", "--sandbox-url", day.sandbox, "--verify")
    day.check(ran.code == 1 and "草稿箱中有一篇 wxpub 发出、发布记录里没有的草稿" in ran.out and "尚未完成" in ran.out,
              "wxpub status --verify 报告不一致:未记录的草稿,未完成的消息",
              "wxpub status --verify reports the disagreement: an unrecorded draft, an unfinished message", ran.out)
    ledger = day.ledger(day.origin)  # what every runner sees
    live = [m for m in ledger.state().messages.values() if m.live]
    day.check({e.path for e in ledger.published()} == {ROBOTS.path}
              and [sorted(m.paths) for m in live] == [sorted([CLUBS.path, VOLUNTEERS.path])],
              "共享的发布记录:新闻已发表,学生会的消息未完成",
              "the shared ledger: the news is out, the student union's message is unfinished", ledger.published())


def next_run_finishes(day: Day) -> None:
    code, report = day.publish(f"{DAY} 12:35")
    day.check(code == 0 and _paths(report, "published") == sorted([CLUBS.path, VOLUNTEERS.path])
              and all(i["message"] == "已存入草稿箱,请运营人员在后台发表" for i in report["published"]),
              "下一次运行接管:两篇存入草稿箱,新闻不重发",
              "the next run takes over: two articles drafted, the news not sent again", report)
    day.expected |= day.in_flight
    day.in_flight = {}
    # The killed run's draft was never recorded: the next run finds it by its attempt marker. In
    # draft mode the draft is the result and still holds what is on main, so it is adopted, not
    # made again (docs/ledger.md, "Taking over")
    world, ledger = day.sandbox_state(), day.ledger()
    drafts = [d["media_id"] for d in world["drafts"]]
    recorded = {e.data["media_id"] for e in ledger.published() if e.path in (CLUBS.path, VOLUNTEERS.path)}
    adopted = [e for e in ledger.entries if e.step == "draft_added" and e.data.get("recovered")]
    day.check(drafts == [day.killed_draft] and recorded == {day.killed_draft} and len(adopted) == 1,
              "中断的运行建的草稿已凭标记找到并采用(记入发布记录),没有第二份草稿",
              "the killed run's draft was found by its marker and adopted (recorded in the ledger); no second draft",
              (drafts, day.killed_draft, recorded, world["calls"]))


def notice_approved(day: Day) -> None:
    day.branch("notice/exam")
    NOTICE.write(day.editor)
    day.commit_and_push("期末考试通知", "notice/exam")
    day.open_pull(3, "editor-li", "notice/exam")
    day.approve(3, "vice-president")  # too early: the stages before the leader's are not met yet
    day.approve(3, "aa-head")
    day.approve(3, "pub-editor")
    ran = day.approvals(3)
    day.check(ran.code == 1 and _row(ran.out, "校领导审批", "批准早于前一阶段完成"),
              "校领导的批准早于前两级,不计入", "the leader approved before the earlier stages: it does not count",
              ran.out)
    day.approve(3, "vice-president")
    ran = day.approvals(3)
    day.check(ran.code == 0 and all(_row(ran.out, name, "✅ 已通过") for name in
                                    ("部门负责人审核(教务处)", "党委宣传部审核", "校领导审批")),
              "教务处 → 宣传部 → 校领导,依次批准", "academic affairs → publicity → school leader, in order", ran.out)
    day.merge(3, "notice/exam")


def notice_waits(day: Day) -> None:
    code, report = day.publish(f"{DAY} 15:00")
    queued = {i["path"]: i["message"] for i in report.get("queued", [])}
    day.check(code == 0 and not report["published"] and queued.get(NOTICE.path, "").startswith("不在发布时段"),
              "15:00 不在发布时段:通知排队等待", "15:00 is outside the publish windows: the notice waits", report)


def notice_goes_out(day: Day) -> None:
    code, report = day.publish(f"{DAY} 17:45")
    day.check(code == 0 and _paths(report, "published") == [NOTICE.path]
              and report["published"][0]["status"] == "published",
              "17:45 晚间时段:通知发表", "17:45, the evening window: the notice is published", report)
    day.expected[NOTICE.title] = "publish"


def retract_one(day: Day) -> None:
    day.branch("youth/retract-volunteers")
    day.git("editor", day.editor, "rm", "-q", "-r", VOLUNTEERS.bundle)
    day.commit_and_push("撤回志愿者招募(时间有变)", "youth/retract-volunteers")
    day.open_pull(4, "editor-zhao", "youth/retract-volunteers")
    ran = day.approvals(4)
    day.check(ran.code == 1 and _row(ran.out, "校团委审核(撤回文章)", "还需 1 人批准"),
              "撤回需要账号运营方(校团委)批准", "a retraction needs the account operator (the youth league)", ran.out)
    day.approve(4, "league-secretary")
    ran = day.approvals(4)
    day.check(ran.code == 0, "校团委批准撤回", "the youth league committee approves the retraction", ran.out)
    day.merge(4, "youth/retract-volunteers")
    code, report = day.publish(f"{DAY} 18:30")
    day.check(code == 0 and _paths(report, "retracted") == [VOLUNTEERS.path]
              and "同一草稿中的其他文章已移入新草稿" in report["retracted"][0]["message"],
              "撤回一篇:草稿重建,其他文章保留", "one article retracted: the draft rebuilt, its sibling kept", report)
    del day.expected[VOLUNTEERS.title]
    drafts = day.sandbox_state()["drafts"]
    day.check([[a["title"] for a in d["articles"]] for d in drafts] == [[CLUBS.title]],
              "草稿箱中只剩一个草稿,只含社团招新", "one draft left, holding only the club fair", drafts)


def all_agree(day: Day) -> None:
    day.refresh_runner()
    main_commit = pygit2.Repository(str(day.origin)).revparse_single("main").peel(pygit2.Commit)
    on_main = {str(p) for p in articles_on(day.origin, main_commit)}
    remote, local = day.ledger(day.origin), day.ledger(day.runner)
    day.check(remote.tip == local.tip, "远程与本地的发布记录一致", "the remote ledger is the runner's ledger",
              (remote.tip, local.tip))
    problems = ledger_problems(remote, on_main)
    day.check(not problems, "发布记录与 Git 一致:main 上每篇文章都已发出,且只此几篇",
              "the ledger agrees with Git: every article on main is out, and nothing else", problems)
    world = day.sandbox_state()
    day.check(not sandbox_problems(world, day.expected)
              and {e.path for e in remote.published()} == {a.path for a in (ROBOTS, CLUBS, NOTICE)},
              "发布记录与微信(沙箱)一致", "the ledger agrees with WeChat (the sandbox)")
    by_path = {e.path: e for e in remote.published()}
    [draft] = world["drafts"]
    articles = {p["article_id"] for p in world["publications"] if p["status"] == 0}
    day.check(by_path[CLUBS.path].data["media_id"] == draft["media_id"]
              and {str(by_path[a.path].data["article_id"]) for a in (ROBOTS, NOTICE)} <= articles,
              "记录中的 media_id、article_id 就是微信中的", "the ledger's media_id and article_id are WeChat's",
              (by_path, draft["media_id"], articles))
    day.check(list(by_path[ROBOTS.path].data.get("approved_by", [])) == ["cs-dean", "pub-chief"],
              "记录写明了谁批准了新闻", "the ledger records who approved the news", by_path[ROBOTS.path].data)
    code, report = day.publish(f"{DAY} 19:00")
    day.check(code == 0 and not any(report.get(k) for k in ("published", "retracted", "queued", "failed")),
              "再运行一次:无事可做", "one more run has nothing to do", report)
    ran = day.wxpub("runner", day.runner, "status", "--sandbox-url", day.sandbox, "--verify")
    day.check(ran.code == 0 and "共 3 篇" in ran.out and all(a.path in ran.out for a in (ROBOTS, CLUBS, NOTICE))
              and VOLUNTEERS.path not in ran.out and "核对结果:发布记录、微信和仓库一致" in ran.out,
              "wxpub status --verify:三篇,发布记录、微信和仓库一致",
              "wxpub status --verify: three articles; the ledger, WeChat and the repository agree", ran.out)


def bypass_refused(day: Day) -> None:
    """An administrator (who can get past branch protection) pushes an article to main
    without a pull request: publish --require-approvals refuses it, and says why."""
    day.git("admin", day.editor, "fetch", "-q", "origin")
    day.git("admin", day.editor, "checkout", "-q", "-B", "main", "origin/main")
    BYPASS.write(day.editor)
    day.git("admin", day.editor, "add", "-A")
    day.git("admin", day.editor, "commit", "-q", "-m", "紧急通知(未经审核)")
    day.git("admin", day.editor, "push", "-q", "origin", "main")
    pushed = git(day.editor, "rev-parse", "HEAD")
    before = day.ledger(day.origin).tip
    code, report = day.publish(f"{DAY} 21:00")
    refused = {i["path"]: i["message"] for i in report.get("failed", [])}
    day.check(code == 1 and not report["published"] and list(refused) == [BYPASS.path]
              and "合并请求" in refused[BYPASS.path] and pushed[:8] in refused[BYPASS.path],
              "未经合并请求的提交不予发布(退出码 1),并说明原因", "a commit that came without a pull request is "
              "not published (exit 1), and the message says why", report)
    day.check(day.ledger(day.origin).tip == before, "发布记录没有变化", "the ledger did not change")


def nothing_leaked(day: Day) -> None:
    """No GitHub token and no AppSecret in anything any command printed (R16)."""
    secrets = [day.github.token, *day.tokens.values(),
               *json.loads((day.runner / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8")).values()]
    day.check(not [secret for secret in secrets if any(secret in text for text in day.said)],
              "所有输出中都没有令牌和 AppSecret", "no token or AppSecret in any output")


def _row(table: str, stage: str, text: str) -> bool:
    """Whether the summary table's row of `stage` contains `text`."""
    return any(line.startswith(f"| {stage} |") and text in line for line in table.splitlines())


@dataclass(frozen=True)
class Step:
    zh: str
    en: str
    act: Callable[[Day], None]


STORY: tuple[Step, ...] = (
    Step("学校启用 wxpub", "The school adopts wxpub", adopt),
    Step("编辑写稿,误留了电话号码;合并请求上的检查失败", "An editor writes an article with a phone number in it; "
         "lint fails on the pull request", write_with_a_mistake),
    Step("编辑改正并推送", "The editor fixes it and pushes", fix_the_mistake),
    Step("部门批准,然后宣传部批准", "The department approves, then the publicity office", approve_in_order),
    Step("又一次推送:批准过时,重新批准", "A new push makes the approvals stale; they are given again",
         stale_after_a_push),
    Step("学生会的两篇推送(青春江大,只存草稿)", "The student union's two articles (青春江大, draft mode)",
         youth_articles),
    Step("合并(git merge --no-ff)", "Merge (git merge --no-ff)", merge_both),
    Step("12:30 发布运行中途被强行终止", "12:30: the publish run is SIGKILLed half-way", killed_half_way),
    Step("下一次运行完成发布,每篇一次", "The next run finishes: each article exactly once", next_run_finishes),
    Step("考试通知:教务处 → 宣传部 → 校领导", "An exam notice: academic affairs → publicity → school leader",
         notice_approved),
    Step("15:00 合并后运行:不在发布时段,排队", "15:00, outside the publish windows: it waits", notice_waits),
    Step("17:45 下一个时段:通知发出", "17:45, the next window: the notice goes out", notice_goes_out),
    Step("撤回两篇中的一篇,另一篇保留", "Retract one of the two articles; its sibling stays", retract_one),
    Step("发布记录、微信与 Git 一致", "The ledger, WeChat and Git agree", all_agree),
    Step("夜里有人绕过审核直接推送到 main:不予发布", "At night someone pushes straight to main, bypassing review: "
         "nothing is published", bypass_refused),
)


def play(home: Path, narrator: Narrator, until: int | None = None) -> Day:
    """The story in `home` (an empty folder), with a sandbox and a fake GitHub of its own;
    all of it, or its steps up to number `until`."""
    server, url = start_in_thread(home / "sandbox.sqlite3")
    try:
        with FakeGitHub(REPO) as github:
            day = Day(home, github, url, narrator)
            for number, step in enumerate(STORY[:until], 1):
                narrator.step(number, step.zh, step.en)
                step.act(day)
                day.check_out_once()  # the invariant, whatever the step did
            if until is None:
                nothing_leaked(day)
            return day
    finally:
        server.shutdown()
