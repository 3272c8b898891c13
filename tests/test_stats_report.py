"""`wxpub stats` and `wxpub report` end to end: a content repository whose pull requests git
merges and the fake GitHub records, published into the WeChat sandbox by the real publish
command (with --require-approvals, so the ledger records who approved), figures fetched from
the sandbox's statistics over HTTP with the real wechatpy client, and the report checked
number by number against the history the test built, then opened in headless Chromium."""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import re
import zoneinfo
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline.cli import main
from pipeline.commands import arguments
from pipeline.errors import UserError
from pipeline.ledger import Entry, Ledger
from pipeline.report import Contribution, Period, build, period, write
from pipeline.sandbox import start_in_thread
from pipeline.sandbox.stats import figures
from pipeline.sandbox.store import Store
from pipeline.stats import SANDBOX_STATS_REF, TRACK_DAYS, DayFigures, Tracked, _item, days_due, msgid_of, recorded
from tests.test_provenance import NEWS_APPROVERS, TEAMS, School, delete
from tests.testing.browser import browser_only, tab  # noqa: F401 - `tab` is a fixture
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import PROJECT, commit_all, git, http, make_repo, run_cli, write_article
from tests.testing.publishing import with_bare_remote
from tests.testing.workflow_tokens import publish_token, report_token

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.datetime.now(BEIJING).date()  # the publisher's --now 12:30 and the sandbox's day (see `school`)
DAY = datetime.timedelta(days=1)
POLICY = re.sub(r"daily_cap: \d+", "daily_cap: 8", (PROJECT / "policies.yaml").read_text(encoding="utf-8"))

# path -> (account, department, title, approvers, merge minute after 09:00 Beijing time)
PUBLICITY = "content/official/publicity"
ARTICLES: dict[str, tuple[str, str, str, tuple[str, ...], int]] = {
    f"{PUBLICITY}/2026-11-01-sports/index.md": ("official", "publicity", "学校举行秋季运动会", NEWS_APPROVERS, 0),
    f"{PUBLICITY}/2026-11-02-art/index.md": ("official", "publicity", "艺术节开幕", NEWS_APPROVERS, 10),
    f"{PUBLICITY}/2026-11-03-library/index.md": ("official", "publicity", "图书馆延长开放时间", NEWS_APPROVERS, 20),
    "content/official/academic-affairs/2026-11-04-course/index.md":
        ("official", "academic-affairs", "选课系统开放", ("aa-head", "pub-chief"), 30),
    "content/youth/student-union/2026-11-05-fair/index.md":
        ("youth", "student-union", "社团招新", ("su-chair", "league-secretary"), 40),
    "content/youth/student-union/2026-11-06-concert/index.md":
        ("youth", "student-union", "新年音乐会", ("su-chair", "league-secretary"), 50),
    "content/cs-college/cs-college/2026-11-07-contest/index.md":
        ("cs-college", "cs-college", "程序设计竞赛开赛", ("cs-dean", "pub-chief"), 60),
    f"{PUBLICITY}/2026-11-08-unreviewed/index.md": ("official", "publicity", "未经审批的稿件", (), 70),
}
RETRACTED = f"{PUBLICITY}/2026-11-03-library/index.md"
RETRACTION_MINUTE = 80
PUBLISHED = [p for p, (a, _, _, who, _) in ARTICLES.items() if who and a != "youth"]
DRAFTED = [p for p, (a, _, _, who, _) in ARTICLES.items() if who and a == "youth"]


def merged_at(minute: int) -> datetime.datetime:
    return datetime.datetime.combine(TODAY, datetime.time(9), BEIJING) + datetime.timedelta(minutes=minute)


def at_minute(monkeypatch: pytest.MonkeyPatch, minute: int) -> None:
    """Commits made from now on are dated `minute` minutes after 09:00 today, Beijing time."""
    stamp = merged_at(minute).isoformat()
    monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
    monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)


class TimedSchool(School):
    """Each pull request opened an hour before it is merged, its reviewers approving in turn at
    20, 30, ... minutes after it was opened, as GitHub records them."""

    def merge(self, name: str, *, method: str = "merge", approvers: tuple[str, ...] = (),
              author: str = "editor-li", base_sha: str | None = None) -> tuple[int, str]:
        number, merged = super().merge(name, method=method, author=author, base_sha=base_sha)
        head, onto = git(self.root, "rev-parse", name), git(self.root, "rev-parse", f"{merged}^1")
        when = datetime.datetime.fromisoformat(git(self.root, "show", "-s", "--format=%cI", merged))
        self.github.merge_from_git(number, author, self.root, head=head, merge_commit=merged, onto=onto,
                                   created_at=utc(when - datetime.timedelta(hours=1)), merged_at=utc(when))
        for i, user in enumerate(approvers):
            self.github.add_review(number, user, "APPROVED", head,
                                   submitted_at=utc(when - datetime.timedelta(minutes=40 - 10 * i)))
        return number, merged


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in TEAMS.items():
            fake.set_team("jcu-media", slug, members)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", publish_token(fake))  # publish.yml's App token
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.delenv("WXPUB_TRUSTED_COMMIT", raising=False)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        yield fake


@pytest.fixture
def school(tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[School]:
    # The day of this test, not of the suite's collection: a suite started before midnight in
    # Beijing (16:00 UTC) and reaching here after it dated the history a day before the sandbox's
    global TODAY
    TODAY = datetime.datetime.now(BEIJING).date()
    root = make_repo(tmp_path, policies=POLICY)
    (root / ".git" / "info" / "exclude").write_text(".wxpub/\n", encoding="utf-8")
    at_minute(monkeypatch, -60)
    trusted = commit_all(root, "the school adopts wxpub")
    server, url = start_in_thread(tmp_path / "sandbox.sqlite3")
    yield TimedSchool(root, github, url, capsys, trusted)
    server.shutdown()


def build_history(school: School, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each article by its own pull request (the unreviewed one merged without approval),
    published at 12:30; then the operator's pull request deleting one, published at 12:40."""
    for path, (account, department, title, approvers, minute) in ARTICLES.items():
        at_minute(monkeypatch, minute)
        slug = path.split("/")[3]
        school.pr(lambda root, a=account, d=department, s=slug, t=title: write_article(
            root, account=a, department=d, slug=s, front_matter={"title": t}), approvers=approvers)
    code, report = school.publish(now="12:30")
    sent = {item["path"]: item["status"] for group in report.values() for item in group if item["path"]}
    assert sent == {**{p: ("mass_sent" if p.startswith("content/cs-college") else "published") for p in PUBLISHED},
                    **{p: "drafted" for p in DRAFTED}, f"{PUBLICITY}/2026-11-08-unreviewed/index.md": "failed"}, report
    assert code == 1  # the unreviewed article is refused, and says so
    at_minute(monkeypatch, RETRACTION_MINUTE)
    school.pr(delete(RETRACTED.removesuffix("/index.md")), approvers=("pub-chief",))  # the operator (R15)
    code, report = school.publish(now="12:40")
    assert [item["path"] for item in report["retracted"]] == [RETRACTED], report


def stats(school: School) -> dict[str, Any]:
    code = main(["--root", str(school.root), "stats", "--sandbox-url", school.sandbox, "--format", "json"])
    out = school.capsys.readouterr()
    assert code == 0 and "Traceback" not in out.err, out.err
    return dict(json.loads(out.out))


def datacube_calls(school: School) -> int:
    calls = http(school.sandbox + "/sandbox/state")["calls"]
    return sum(n for endpoint, n in calls.items() if endpoint.startswith("datacube/"))


def advance(school: School, days: int) -> None:
    http(school.sandbox + "/sandbox/clock", {"advance": days * 86400})


def msgids(school: School) -> dict[str, str]:
    """Title -> msgid, from the sandbox's own record of what it published (not from the ledger)."""
    found = {}
    world = http(school.sandbox + "/sandbox/state")
    for sent in [*world["publications"], *world["mass_sends"]]:
        for idx, article in enumerate(sent["articles"], 1):
            found[article["title"]] = f"{sent['msg_data_id']}_{idx}"
    return found


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    # bytes, not read_text: universal newlines would turn a quoted \r inside a cell into \n
    return list(csv.DictReader(io.StringIO((folder / f"{name}.csv").read_bytes().decode("utf-8-sig"), newline="")))


# -- stats ----------------------------------------------------------------------------------

@pytest.fixture
def history(school: School, monkeypatch: pytest.MonkeyPatch) -> School:
    build_history(school, monkeypatch)
    return school


def test_stats_land_in_git_once_and_a_gap_fetches_only_the_missing_days(history: School) -> None:
    school = history
    assert stats(school)["fetched"] == []  # today's figures exist from tomorrow on: nothing asked
    assert datacube_calls(school) == 0
    advance(school, 3)
    first = stats(school)
    # the published (发表) and the mass-sent (群发) articles; the youth account's drafts were never read
    assert [(d["account"], d["date"]) for d in first["fetched"]] == [(account, (TODAY + n * DAY).isoformat())
                                                                     for account in ("cs-college", "official")
                                                                     for n in range(3)]
    assert first["untracked"] == [] and first["failed"] == []
    assert first["calls"] == datacube_calls(school) == 2 * 3 * 2  # one call per endpoint, account and day: never a range
    tip = Ledger.open(school.root, ref=SANDBOX_STATS_REF).tip
    again = stats(school)
    assert again["fetched"] == [] and again["calls"] == 0 and datacube_calls(school) == 12
    assert Ledger.open(school.root, ref=SANDBOX_STATS_REF).tip == tip  # nothing written either
    advance(school, 2)
    later = stats(school)
    assert [(d["account"], d["date"]) for d in later["fetched"]] == [
        (account, (TODAY + n * DAY).isoformat()) for account in ("cs-college", "official") for n in (3, 4)]
    assert datacube_calls(school) == 12 + 8
    # What Git holds is what the sandbox holds, account by account, article by article, day by day
    titles = msgids(school)
    days = recorded(Ledger.open(school.root, ref=SANDBOX_STATS_REF).entries)
    assert sorted((d.account, d.day) for d in days) == [(account, TODAY + n * DAY) for account in ("cs-college", "official")
                                                        for n in range(5)]
    for day in days:
        expected = {titles[ARTICLES[p][2]]: figures(titles[ARTICLES[p][2]], TODAY, day.day) for p in PUBLISHED
                    if ARTICLES[p][0] == day.account}
        assert day.articles == {k: {"read_user": v.read_user, "share_user": v.share_user}
                                for k, v in expected.items() if v.read_user}


# -- report ---------------------------------------------------------------------------------

def stats_job_report(school: School, *args: str) -> tuple[int, str, str]:
    """`wxpub report` as stats.yml's step runs it: with the job's GITHUB_TOKEN and no App token."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("WXPUB_FORGE_TOKEN", raising=False)
        env.setenv("GITHUB_TOKEN", report_token(school.github))
        return run_cli(school.root, school.capsys, "report", *args)


def expected_reads(school: School, path: str, last: int) -> tuple[int, int]:
    msgid = msgids(school)[ARTICLES[path][2]]
    days = [figures(msgid, TODAY, TODAY + n * DAY) for n in range(last + 1)]
    return sum(d.read_user for d in days), sum(d.share_user for d in days)


def test_report_numbers_match_the_history(history: School, tmp_path: Path) -> None:
    school = history
    advance(school, 5)
    stats(school)
    out = tmp_path / "report"
    code, text, err = stats_job_report(school, "--sandbox", "-o", str(out),
                                       "--since", (TODAY - DAY).isoformat(), "--until", (TODAY + 30 * DAY).isoformat())
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["accounts.csv", "approvers.csv", "articles.csv", "daily.csv",
                                                    "departments.csv", "report.html", "summary.md"]
    reads = {p: expected_reads(school, p, 4) for p in PUBLISHED}

    def totals(paths: list[str]) -> dict[str, str]:
        mine = [p for p in ARTICLES if p in paths]
        sent = [p for p in mine if p in PUBLISHED]
        hours = sorted((datetime.datetime.combine(TODAY, datetime.time(12, 30), BEIJING)
                        - merged_at(ARTICLES[p][4])).total_seconds() / 3600 for p in sent)
        median = "" if not hours else str(round(hours[len(hours) // 2], 1) if len(hours) % 2 else
                                          round((hours[len(hours) // 2 - 1] + hours[len(hours) // 2]) / 2, 1))
        return {"投稿": str(len(mine)), "已审批": str(sum(1 for p in mine if ARTICLES[p][3])),
                "已发布": str(len(sent)), "存草稿": str(sum(1 for p in mine if p in DRAFTED)),
                "已撤回": str(int(RETRACTED in mine)), "阅读人数": str(sum(reads.get(p, (0, 0))[0] for p in mine)),
                "分享人数": str(sum(reads.get(p, (0, 0))[1] for p in mine)),
                "创建到批准中位数(小时)": "0.5" if any(ARTICLES[p][3] for p in mine) else "",  # two approvers each
                "合并到发布中位数(小时)": median}

    names = {"official": "江城大学", "cs-college": "计算机学院", "youth": "江城大学团委"}
    accounts = read_csv(out, "accounts")
    assert accounts == [{"账号": a, "账号名称": accounts[i]["账号名称"],
                         **totals([p for p, v in ARTICLES.items() if v[0] == a])}
                        for i, a in enumerate(sorted({v[0] for v in ARTICLES.values()}))]
    assert {row["账号"]: row["账号名称"] for row in accounts}.keys() == names.keys()
    departments = read_csv(out, "departments")
    keys = sorted({(v[0], v[1]) for v in ARTICLES.values()})
    assert [(row["账号"], row["部门"]) for row in departments] == keys
    for row, (account, department) in zip(departments, keys):
        assert {k: v for k, v in row.items() if k not in ("账号", "部门", "部门名称")} == totals(
            [p for p, v in ARTICLES.items() if v[:2] == (account, department)]), row

    articles = {row["文章"]: row for row in read_csv(out, "articles")}
    assert set(articles) == set(ARTICLES)
    for path, (account, department, title, approvers, minute) in ARTICLES.items():
        row = articles[path]
        outcome = "已发表" if path in PUBLISHED and account == "official" else "已群发" if path in PUBLISHED else \
            "存草稿" if path in DRAFTED else "未发出"
        out_at = f"{TODAY.isoformat()} 12:30" if approvers else ""
        tracked = path in PUBLISHED
        number = list(ARTICLES).index(path) + 1
        opened = merged_at(minute) - datetime.timedelta(hours=1)
        approved = [(login, opened + datetime.timedelta(minutes=20 + 10 * i)) for i, login in enumerate(approvers)]
        assert row == {"文章": path, "账号": account, "部门": department, "标题": title, "合并请求": f"#{number}",
                       "创建时间": opened.strftime("%Y-%m-%d %H:%M"),
                       "各审批人批准时间": "、".join(f"{login} {at.strftime('%Y-%m-%d %H:%M')}" for login, at in approved),
                       "创建到批准(小时)": str(round((approved[-1][1] - opened).total_seconds() / 3600, 1)) if approved else "",
                       "合并时间": merged_at(minute).strftime("%Y-%m-%d %H:%M"), "结果": outcome, "发出时间": out_at,
                       "撤回时间": f"{TODAY.isoformat()} 12:40" if path == RETRACTED else "",
                       "合并到发布(小时)": str(round((merged_at(210) - merged_at(minute)).total_seconds() / 3600, 1))
                       if approvers else "",
                       "审批人": "、".join(approvers),
                       "阅读人数": str(reads[path][0]) if tracked else "", "分享人数": str(reads[path][1]) if tracked else ""}

    approvals: dict[tuple[str, str], list[str]] = {}
    for path, (account, _, _, approvers, _) in ARTICLES.items():
        for login in approvers:
            approvals.setdefault((login, account), []).append(path)
    assert [(r["审批人"], r["账号"], r["篇数"], r["文章"]) for r in read_csv(out, "approvers")] == [
        (login, account, str(len(paths)), " ".join(sorted(paths))) for (login, account), paths in sorted(approvals.items())]

    titles = msgids(school)
    daily = read_csv(out, "daily")
    assert daily == [{"日期": (TODAY + n * DAY).isoformat(), "账号": account,
                      "阅读人数": str(sum(figures(titles[ARTICLES[p][2]], TODAY, TODAY + n * DAY).read_user
                                      for p in reads if ARTICLES[p][0] == account)),
                      "分享人数": str(sum(figures(titles[ARTICLES[p][2]], TODAY, TODAY + n * DAY).share_user
                                      for p in reads if ARTICLES[p][0] == account))}
                     for n in range(5) for account in ("cs-college", "official")]

    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| official | 江城大学 | 5 | 4 | 4 | 0 | 1 |" in summary
    assert "未统计" in summary and "GitHub" in summary  # what the repository does not hold is said, not guessed


def test_a_period_before_anything_happened_counts_nothing(history: School, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WXPUB_FORGE_TOKEN")  # and no GITHUB_TOKEN: GitHub is not read, and the report says so
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    out = tmp_path / "empty"
    code, text, err = run_cli(history.root, history.capsys, "report", "--sandbox", "-o", str(out),
                              "--since", "2025-01-01", "--until", "2025-01-31", "--format", "json")
    assert code == 0, err
    assert any("没有提供 GitHub 令牌" in note for note in json.loads(text)["notes"])
    for row in read_csv(out, "accounts"):
        assert [row[k] for k in ("投稿", "已审批", "已发布", "存草稿", "已撤回", "阅读人数", "分享人数")] == ["0"] * 7
    assert read_csv(out, "articles") == [] and read_csv(out, "daily") == []


# -- the page -------------------------------------------------------------------------------

@browser_only
def test_the_page_draws_every_chart_offline(history: School, tmp_path: Path, tab: Any) -> None:  # noqa: F811
    school = history
    advance(school, 4)
    stats(school)
    out = tmp_path / "page"
    code, _, err = stats_job_report(school, "--sandbox", "-o", str(out), "--until", (TODAY + 10 * DAY).isoformat())
    assert code == 0, err
    page_html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page_html
    asked: list[str] = []

    def guard(route: Any) -> None:
        asked.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    tab.set_viewport_size({"width": 1200, "height": 900})
    tab.route("**/*", guard)
    try:
        tab.goto((out / "report.html").as_uri())
        tab.wait_for_load_state("load")
        figures_ = tab.query_selector_all("figure.chart")
        assert len(figures_) == 4
        for figure in figures_:
            shapes = figure.evaluate("f => [...f.querySelectorAll('svg .series path, svg .series rect')]"
                                     ".filter(e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length")
            assert shapes > 0, figure.get_attribute("data-chart")
            picture = Image.open(io.BytesIO(figure.screenshot())).convert("RGB")
            pixels = picture.tobytes()
            coloured = sum(1 for i in range(0, len(pixels), 3) if max(pixels[i:i + 3]) - min(pixels[i:i + 3]) > 40)
            assert coloured > 500, f"{figure.get_attribute('data-chart')}: {coloured} coloured pixels"
        shot = tmp_path / "report.png"  # looked at by the author: see the commit message
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        tab.unroute("**/*")
    assert asked == [(out / "report.html").as_uri()]  # the page itself, and nothing else


@browser_only
def test_the_charts_are_readable_whole_and_coloured_alike(tmp_path: Path, tab: Any) -> None:  # noqa: F811
    """Seen in the report's screenshot while walking through the set-up: the department chart
    cut its Chinese labels off on the left (pygal sizes a label for Latin letters), its labels
    were 7 px on screen, and 投稿 was green in one chart and blue in the next. Every label is
    drawn inside its chart at a readable size, and a series has one colour in every chart."""
    departments = ["党委宣传部新闻中心融媒体工作室", "教务处", "计算机科学与技术学院", "校团委", "学生工作部", "图书馆",
                   "信息化建设与管理中心", "研究生院"]
    moment = datetime.datetime.combine(TODAY, datetime.time(12, 30), BEIJING)
    added, ledger = [], []
    for i, department in enumerate(departments):
        path = f"content/official/d{i}/2026-11-0{i + 1}-x/index.md"
        added.append(Contribution(path, f"文章{i}", "c" * 40, moment))
        if i % 2:
            ledger.append(Entry(at=moment.isoformat(), run="r", step="published", account="official", path=path,
                                data={"url": f"http://mp.weixin.qq.com/s?__biz=MzA=&mid={i}&idx=1&sn=0#rd"}))
    names = {"official": "江城大学官方微信公众号", **{f"d{i}": d for i, d in enumerate(departments)}}
    report = build(Period(TODAY - 10 * DAY, TODAY + DAY), BEIJING, added, ledger, [], names, [])
    out = tmp_path / "page"
    write(report, out)
    tab.set_viewport_size({"width": 1200, "height": 900})
    tab.goto((out / "report.html").as_uri())
    charts = tab.evaluate("""() => [...document.querySelectorAll('figure.chart svg')].map(svg => {
        const box = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, left: r.left - box.left, right: box.right - r.right, height: r.height,
                    label: !!t.closest('.axis')};
        });
        const legend = [...svg.querySelectorAll('.legends > g')].map(g =>
            [g.querySelector('text').textContent, getComputedStyle(g.querySelector('rect')).fill]);
        return {texts, legend};
    })""")
    assert len(charts) == 4
    colours: dict[str, set[str]] = {}
    for chart in charts:
        for text in chart["texts"]:
            assert text["left"] >= -1 and text["right"] >= -1, f"cut off: {text}"
            if text["label"]:
                assert text["height"] >= 12, f"too small to read: {text}"
        for name, fill in chart["legend"]:
            colours.setdefault(name, set()).add(fill)
    assert {"投稿", "已发布"} <= set(colours)
    assert all(len(fills) == 1 for fills in colours.values()), colours


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, said", [
    (["--since", "上周一"], "参数 --since:不是有效的日期:上周一(写作 YYYY-MM-DD"),
    (["--until", "2026-13-40"], "参数 --until:不是有效的日期:2026-13-40(写作 YYYY-MM-DD"),
    (["--since", ""], "参数 --since:不是有效的日期"),
    (["--since", "2026-12-01", "--until", "2026-11-01"], "--since 2026-12-01 晚于 --until 2026-11-01"),
])
def test_bad_dates_are_refused_in_chinese(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                          said: str) -> None:
    commit_all(repo, "policy")
    try:  # a date argparse cannot read stops the parse (SystemExit 2, the usage first), as for every command
        code = main(["--root", str(repo), "report", "-o", str(repo / "out"), *args])
    except SystemExit as stop:
        code = int(stop.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and said in err and "Traceback" not in err, err
    assert not (repo / "out").exists()  # nothing written half-way


def test_an_output_folder_that_cannot_be_written_is_refused_in_chinese(repo: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    commit_all(repo, "policy")
    (repo / "taken").write_text("a file, not a folder", encoding="utf-8")
    code, _, err = run_cli(repo, capsys, "report", "-o", str(repo / "taken"))
    assert code == 2 and "无法写入报告目录" in err and "-o" in err, err
    code, _, err = run_cli(repo, capsys, "report", "-o", str(repo / "taken" / "below"))
    assert code == 2 and "无法写入报告目录" in err, err


@given(st.lists(st.integers(-40, 40), max_size=6), st.sets(st.integers(-40, 40), max_size=20), st.integers(-40, 40))
def test_the_days_due_are_each_articles_window_up_to_yesterday_less_what_is_recorded(
        published: list[int], have: set[int], yesterday: int) -> None:
    articles = [Tracked(f"p{i}", "official", f"{i}_1", TODAY + n * DAY) for i, n in enumerate(published)]
    due = days_due(articles, {TODAY + n * DAY for n in have}, TODAY + yesterday * DAY)
    windows = {TODAY + (n + k) * DAY for n in published for k in range(TRACK_DAYS) if n + k <= yesterday}
    assert due == sorted(windows - {TODAY + n * DAY for n in have})


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_any_answer_item_is_read_or_skipped_never_a_crash(item: Any) -> None:
    msgid, value = _item(item, "read_user")
    assert isinstance(msgid, str) and isinstance(value, int)
    assert _item({"msgid": "7_1", "detail": {"read_user": 12}}, "read_user") == ("7_1", 12)
    for odd in (float("nan"), float("inf"), -3, True, "12", 1.5):
        assert _item({"msgid": "7_1", "detail": {"read_user": odd}}, "read_user") == ("7_1", 0)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_date_text_is_a_date_or_a_clear_refusal(text: str) -> None:
    try:
        day = arguments.date(text)
    except argparse.ArgumentTypeError as error:
        assert "不是有效的日期" in str(error) and "YYYY-MM-DD" in str(error)
    else:
        assert day == datetime.date.fromisoformat(text.strip())


@given(st.dates(), st.dates(), st.booleans(), st.booleans())
def test_a_period_is_since_to_until_or_refused(since: datetime.date, until: datetime.date, given_since: bool,
                                               given_until: bool) -> None:
    try:
        span = period(since if given_since else None, until if given_until else None, TODAY)
    except UserError as error:
        assert "晚于" in str(error) and given_since
    else:
        assert span.since <= span.until == (until if given_until else TODAY)
        assert span.since == (since if given_since else span.until - 29 * DAY)


@given(st.integers(0, 10**12), st.integers(1, 8), st.text(alphabet="abcdef0123456789", max_size=32))
def test_the_msgid_is_read_from_wechats_article_link(mid: int, idx: int, sn: str) -> None:
    assert msgid_of(f"http://mp.weixin.qq.com/s?__biz=MzA=&mid={mid}&idx={idx}&sn={sn}#rd") == f"{mid}_{idx}"


@given(st.text(max_size=80))
def test_a_link_without_mid_and_idx_names_no_article(url: str) -> None:
    found = msgid_of(url)
    assert found is None or re.fullmatch(r"\d+_\d+", found)
    assert msgid_of("http://mp.weixin.qq.com/s/" + url.replace("?", "").replace("#", "")) is None


@given(st.text(max_size=12), st.integers(0, 60))
def test_sandbox_figures_decay_and_shares_stay_below_reads(msgid: str, age: int) -> None:
    day = TODAY + age * DAY
    today, tomorrow = figures(msgid, TODAY, day), figures(msgid, TODAY, day + DAY)
    assert tomorrow.read_user <= today.read_user and today.share_user <= today.read_user
    assert figures(msgid, TODAY, TODAY - DAY).read_user == 0  # nothing before it went out


# -- the sandbox is as strict as WeChat about dates -------------------------------------------

def test_the_sandbox_refuses_what_wechat_refuses(tmp_path: Path) -> None:
    server, url = start_in_thread(tmp_path / "sandbox.sqlite3")
    try:
        http(url + "/sandbox/accounts", {"appid": "wxstats", "secret": "s" * 32})
        token = requests.post(url + "/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": "wxstats",
                                                                   "secret": "s" * 32}).json()["access_token"]
        today = datetime.date.fromisoformat(datetime.datetime.fromtimestamp(Store(tmp_path / "sandbox.sqlite3").now(
            Store(tmp_path / "sandbox.sqlite3").connect()), BEIJING).date().isoformat())

        def ask(path: str, begin: str, end: str) -> dict[str, Any]:
            return dict(requests.post(f"{url}/{path}?access_token={token}",
                                      json={"begin_date": begin, "end_date": end}).json())

        yesterday = (today - DAY).isoformat()
        for endpoint in ("getarticleread", "getarticleshare"):
            assert ask(f"datacube/{endpoint}", yesterday, yesterday) == {"list": [], "is_delay": False}
            two_days = ask(f"datacube/{endpoint}", (today - 2 * DAY).isoformat(), yesterday)
            assert two_days["errcode"] == 61501  # one day per call
            assert ask(f"datacube/{endpoint}", today.isoformat(), today.isoformat())["errcode"] == 61501  # not over yet
            assert ask(f"datacube/{endpoint}", "2026/11/01", "2026/11/01")["errcode"] == 61500
            assert ask(f"cgi-bin/datacube/{endpoint}", yesterday, yesterday)["errcode"] == 40066  # not under /cgi-bin/
        assert requests.post(f"{url}/datacube/getarticleread", json={}).json()["errcode"] == 41001  # no token
    finally:
        server.shutdown()


def test_stats_on_a_repository_without_publications_calls_nothing(repo: Path, capsys: pytest.CaptureFixture[str],
                                                                   sandbox: str) -> None:
    commit_all(repo, "policy")
    code, out, err = run_cli(repo, capsys, "stats", "--sandbox-url", sandbox)
    assert code == 0 and "没有需要获取的新数据" in out, err
    assert not any(k.startswith("datacube/") for k in http(sandbox + "/sandbox/state")["calls"])
    assert git(repo, "for-each-ref", "refs/wxpub/") == ""  # an empty day writes nothing
    code, out, err = run_cli(repo, capsys, "report", "--sandbox", "-o", str(repo / "report"), "--format", "json")
    [note] = [n for n in json.loads(out)["notes"] if "还没有阅读数据" in n]
    assert "stats 工作流" in note and "发布工作流" not in note and "次日" in note  # who fetches them, and when


# -- what editors and the policy write cannot get into the page or run in a spreadsheet ------

@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=40), name=st.text(max_size=20))
@example(title="<img src=x onerror=alert(1)>", name="<")
@example(title="=HYPERLINK(1)", name="[点我](https://evil.example)")
def test_titles_and_names_are_text_in_the_page_and_in_the_csvs(tmp_path_factory: pytest.TempPathFactory,
                                                               title: str, name: str) -> None:
    path = "content/official/publicity/2026-11-01-x/index.md"
    moment = datetime.datetime.combine(TODAY, datetime.time(12, 30), BEIJING)
    ledger = [Entry(at=moment.isoformat(), run="r", step="published", account="official", path=path,
                    data={"url": "http://mp.weixin.qq.com/s?__biz=MzA=&mid=7&idx=1&sn=0#rd", "approved_by": [name]})]
    figures_ = [DayFigures("official", TODAY, {"7_1": {"read_user": 5, "share_user": 1}})]
    report = build(Period(TODAY - DAY, TODAY + DAY), BEIJING, [Contribution(path, title, "c" * 40, moment)], ledger,
                   figures_, {"official": name, "publicity": name}, [name])
    out = tmp_path_factory.mktemp("hostile")
    write(report, out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<iframe" not in page.lower()
    [row] = read_csv(out, "articles")
    shown = "'" + title if title.startswith(("=", "+", "-", "@", "\t", "\r")) else title
    assert row["标题"] == shown and row["审批人"] == ("'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name)
    assert not row["标题"].startswith(("=", "+", "-", "@"))
    assert read_csv(out, "accounts")[0]["阅读人数"] == "5"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    # GitHub renders HTML and links in a job summary: rendered, it holds only the summary's own
    # structure, whatever the names and titles (a name '<' is written '\\<', CommonMark's literal form)
    from markdown_it import MarkdownIt
    rendered = MarkdownIt("commonmark").enable("table").render(summary)
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", rendered))
    assert tags <= {"h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "strong", "code"}, tags
    accounts_table = summary.split("### 按账号")[1].split("###")[0]
    assert len([line for line in accounts_table.splitlines() if line.startswith("| official")]) == 1  # one row, unbroken


def test_stats_are_shared_through_the_remote_and_no_runner_fetches_a_day_twice(history: School,
                                                                               tmp_path: Path) -> None:
    school = history
    remote = with_bare_remote(school.root, tmp_path)
    git(school.root, "push", "-q", "origin", "refs/wxpub/sandbox-ledger")  # the publish workflow pushes it
    advance(school, 2)

    def run_stats(root: Path) -> dict[str, Any]:
        code = main(["--root", str(root), "stats", "--sandbox-url", school.sandbox, "--push", "origin", "--format", "json"])
        out = school.capsys.readouterr()
        assert code == 0 and "Traceback" not in out.err, out.err
        return dict(json.loads(out.out))

    first = run_stats(school.root)
    assert len(first["fetched"]) == 2 * 2  # two accounts, two days
    tip = git(school.root, "rev-parse", SANDBOX_STATS_REF)
    assert git(remote, "rev-parse", SANDBOX_STATS_REF) == tip
    other = tmp_path / "other-runner"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    assert run_stats(other)["calls"] == 0  # what the first runner recorded is not fetched again
    advance(school, 1)
    gap = run_stats(other)
    assert [(d["account"], d["date"]) for d in gap["fetched"]] == [(a, (TODAY + 2 * DAY).isoformat())
                                                                   for a in ("cs-college", "official")]
    assert git(remote, "rev-parse", SANDBOX_STATS_REF) == git(other, "rev-parse", SANDBOX_STATS_REF) != tip
    assert run_stats(school.root)["calls"] == 0  # the first runner fetches the other's days instead
    assert datacube_calls(school) == 2 * 2 * 2 + 2 * 2


def test_a_day_two_runners_both_recorded_counts_once() -> None:
    def line(reads: int) -> Entry:
        return Entry(at="2026-12-01T01:30:00+00:00", run=str(reads), step="day_figures", account="official",
                     data={"date": "2026-11-30", "articles": {"7_1": {"read_user": reads, "share_user": 1}}})

    days = recorded([line(10), line(10), Entry(at="2026-12-01T01:30:00+00:00", run="r", step="day_figures",
                                                account="youth", data={"date": "2026-11-30", "articles": {}})])
    assert [(d.account, d.day, dict(d.articles)) for d in days] == [
        ("official", datetime.date(2026, 11, 30), {"7_1": {"read_user": 10, "share_user": 1}}),
        ("youth", datetime.date(2026, 11, 30), {})]
