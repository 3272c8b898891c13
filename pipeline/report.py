"""Reports (R18): per account and per department, what was contributed, approved, published and
retracted in a period, how long publishing took, how much it was read and shared, and who
approved what; as one static HTML page with charts, a CSV per table and a Markdown summary.

Where each number comes from, so that it can be checked:
- contributed: an article's index.md added to `content/<account>/<department>/<slug>/` by a
  commit on the branch's first-parent history (a pull request's merge, or a direct push),
  dated by that commit;
- approved, published, drafted, retracted, approvers: the ledger (`pipeline/ledger.py`): the
  first final line of an article (published, mass_sent or drafted) with the approvers the
  publisher proved (`approved_by`, recorded with `--require-approvals`), and its `retracted`
  line; dated by those lines;
- reads and shares: the figures `wxpub stats` recorded (`pipeline/stats.py`), per day;
- merge → publication: from the commit that added the article to its first final line;
- pull request opened → each reviewer's approval: from GitHub (`pipeline/forge.py`), only when
  the report is given a token; without one the report says these times were not read.
What neither holds is said in the report's notes instead of being guessed: the lint findings
that held pull requests back live only in each pull request's checks.

Charts are pygal SVG, drawn here and put inline in the page: nothing is loaded when the page
is opened (no script, no font, no stylesheet from anywhere).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping, Sequence

import jinja2
import markupsafe
import pygal
import pygit2
from pygal.style import Style

from pipeline.content import parse_article
from pipeline.errors import UserError
from pipeline.forge import Forge
from pipeline.ledger import Entry
from pipeline.stats import DayFigures, msgid_for

CONTENT = "content"
FINAL_STEPS = ("published", "mass_sent", "drafted")
SENT_STEPS = ("published", "mass_sent")
DEFAULT_DAYS = 30  # without --since: the last 30 days up to --until


@dataclass(frozen=True)
class Period:
    since: datetime.date
    until: datetime.date  # inclusive

    def holds(self, moment: datetime.date) -> bool:
        return self.since <= moment <= self.until


def period(since: datetime.date | None, until: datetime.date | None, today: datetime.date) -> Period:
    """--since/--until (read by argparse, pipeline/commands/arguments.date) as a Period: by
    default the DEFAULT_DAYS days ending today; since after until is a UserError."""
    end = until if until is not None else today
    start = since if since is not None else end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise UserError(f"--since {start.isoformat()} 晚于 --until {end.isoformat()}:统计区间为空",
                        hint="--since 应不晚于 --until,例如 --since 2026-09-01 --until 2026-12-31")
    return Period(start, end)


@dataclass(frozen=True)
class Contribution:
    """An article's index.md added on the branch."""

    path: str
    title: str
    commit: str
    at: datetime.datetime


def contributions(repo: pygit2.Repository, head: pygit2.Commit) -> list[Contribution]:
    """Every article added by a commit of `head`'s first-parent history, oldest first (an article
    deleted and added again counts from its first addition)."""
    found: dict[str, Contribution] = {}
    commit: pygit2.Commit | None = head
    chain: list[pygit2.Commit] = []
    while commit is not None:
        chain.append(commit)
        commit = commit.parents[0] if commit.parents else None
    for commit in reversed(chain):
        diff = (commit.parents[0].tree.diff_to_tree(commit.tree) if commit.parents
                else commit.tree.diff_to_tree(swap=True))
        for delta in diff.deltas:
            path = delta.new_file.path
            if delta.status != pygit2.enums.DeltaStatus.ADDED or not _is_article(path) or path in found:
                continue
            found[path] = Contribution(path, _title(repo, delta.new_file.id, path), str(commit.id), _when(commit))
    return sorted(found.values(), key=lambda c: (c.at, c.path))


def _is_article(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return len(parts) == 5 and parts[0] == CONTENT and parts[4] == "index.md"


def _title(repo: pygit2.Repository, blob: pygit2.Oid, path: str) -> str:
    article = parse_article(PurePosixPath(path), repo[blob].peel(pygit2.Blob).data)
    title = getattr(article, "front_matter", {}).get("title", "")
    return title if isinstance(title, str) else ""


def _when(commit: pygit2.Commit) -> datetime.datetime:
    zone = datetime.timezone(datetime.timedelta(minutes=commit.commit_time_offset))
    return datetime.datetime.fromtimestamp(commit.commit_time, zone)


@dataclass(frozen=True)
class PullTimes:
    """What GitHub knows of the pull request that brought an article: when it was opened, when
    each reviewer approved (their last approval on it), when it was merged."""

    number: int
    opened: datetime.datetime
    approvals: tuple[tuple[str, datetime.datetime], ...]  # (login, when), in time order
    merged: datetime.datetime | None


def pull_times(forge: Forge, commit: str) -> PullTimes | None:
    """The merged pull request that put `commit` on the branch (None: a direct push, or one
    GitHub does not list); ForgeError when GitHub cannot be read."""
    merged = [pr for pr in forge.pulls_for_commit(commit) if pr.merged]
    if not merged:
        return None
    pull = next((pr for pr in merged if pr.merge_commit_sha == commit), merged[0])
    latest: dict[str, datetime.datetime] = {}
    for review in forge.reviews(pull.number):
        if review.state == "APPROVED" and review.submitted_at:
            latest[review.user] = _utc(review.submitted_at)
    return PullTimes(pull.number, _utc(pull.created_at) if pull.created_at else _utc("1970-01-01T00:00:00Z"),
                     tuple(sorted(latest.items(), key=lambda item: item[1])),
                     _utc(pull.merged_at) if pull.merged_at else None)


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Row:
    """One article, everything the report knows about it."""

    path: str
    account: str
    department: str
    title: str
    merged_at: datetime.datetime | None  # the commit that added it on the branch
    outcome: str  # published | mass_sent | drafted | "" (not out)
    out_at: datetime.datetime | None  # its first final line
    retracted_at: datetime.datetime | None
    approved_by: tuple[str, ...]
    reads: int  # within the period
    shares: int
    tracked: bool  # whether WeChat's statistics can name it (its link carries mid/idx)
    pull: PullTimes | None = None  # from GitHub, when the report was given a token

    @property
    def hours_to_publish(self) -> float | None:
        if self.merged_at is None or self.out_at is None:
            return None
        return round((self.out_at - self.merged_at).total_seconds() / 3600, 1)

    @property
    def hours_to_approval(self) -> float | None:
        """From the pull request's opening to its last approval (every stage met by then)."""
        if self.pull is None or not self.pull.approvals:
            return None
        return round((self.pull.approvals[-1][1] - self.pull.opened).total_seconds() / 3600, 1)


@dataclass(frozen=True)
class Totals:
    contributed: int = 0
    approved: int = 0
    published: int = 0
    drafted: int = 0
    retracted: int = 0
    reads: int = 0
    shares: int = 0
    hours: tuple[float, ...] = ()  # merge → publication of those published in the period
    approval_hours: tuple[float, ...] = ()  # pull request opened → last approval, of those contributed

    @property
    def median_hours(self) -> float | None:
        return _median(self.hours)

    @property
    def median_approval_hours(self) -> float | None:
        return _median(self.approval_hours)


def _median(values: tuple[float, ...]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else round((ordered[middle - 1] + ordered[middle]) / 2, 1)


@dataclass(frozen=True)
class Report:
    period: Period
    tz: datetime.tzinfo
    rows: tuple[Row, ...]
    by_account: Mapping[str, Totals]
    by_department: Mapping[tuple[str, str], Totals]
    daily: tuple[tuple[str, str, int, int], ...]  # (date, account, reads, shares)
    names: Mapping[str, str]  # account and department ids -> their Chinese names
    notes: tuple[str, ...] = field(default=())


def build(period_: Period, tz: datetime.tzinfo, added: Sequence[Contribution], ledger: Sequence[Entry],
          figures: Sequence[DayFigures], names: Mapping[str, str], notes: Sequence[str] = (),
          pulls: Mapping[str, PullTimes] | None = None) -> Report:
    """The report over `period_` (dates in `tz`, the school's time zone); `pulls` maps an
    article's path to its pull request's times, when GitHub was read."""
    firsts: dict[str, Entry] = {}
    retracted: dict[str, Entry] = {}
    for entry in ledger:
        if entry.path and entry.step in FINAL_STEPS:
            firsts.setdefault(entry.path, entry)
        elif entry.path and entry.step == "retracted":
            retracted.setdefault(entry.path, entry)
    msgids: dict[str, str] = {}
    for entry in ledger:
        msgid = msgid_for(entry)
        if msgid:
            msgids.setdefault(msgid, entry.path)
    reads: dict[str, int] = {}
    shares: dict[str, int] = {}
    daily: dict[tuple[str, str], list[int]] = {}
    for day in figures:
        if not period_.holds(day.day):
            continue
        for msgid, values in day.articles.items():
            path = msgids.get(msgid)
            if path is None:
                continue  # an article not published by wxpub (by hand in WeChat's back office)
            reads[path] = reads.get(path, 0) + values.get("read_user", 0)
            shares[path] = shares.get(path, 0) + values.get("share_user", 0)
            into = daily.setdefault((day.day.isoformat(), day.account), [0, 0])
            into[0] += values.get("read_user", 0)
            into[1] += values.get("share_user", 0)
    by_path = {c.path: c for c in added}
    rows = []
    for path in sorted(set(by_path) | set(firsts) | set(retracted)):
        parts = PurePosixPath(path).parts
        first, gone, contribution = firsts.get(path), retracted.get(path), by_path.get(path)
        rows.append(Row(path=path, account=parts[1] if len(parts) > 1 else "", department=parts[2] if len(parts) > 2 else "",
                        title=contribution.title if contribution else "",
                        merged_at=contribution.at.astimezone(tz) if contribution else None,
                        outcome=first.step if first else "", out_at=first.moment.astimezone(tz) if first else None,
                        retracted_at=gone.moment.astimezone(tz) if gone else None,
                        approved_by=tuple(str(a) for a in first.data.get("approved_by", [])) if first else (),
                        reads=reads.get(path, 0), shares=shares.get(path, 0),
                        tracked=any(p == path for p in msgids.values()), pull=(pulls or {}).get(path)))
    by_account: dict[str, Totals] = {}
    by_department: dict[tuple[str, str], Totals] = {}
    for row in rows:
        counted = _count(row, period_)
        by_account[row.account] = _add(by_account.get(row.account, Totals()), counted)
        key = (row.account, row.department)
        by_department[key] = _add(by_department.get(key, Totals()), counted)
    return Report(period_, tz, tuple(rows), dict(sorted(by_account.items())), dict(sorted(by_department.items())),
                  tuple((d, a, v[0], v[1]) for (d, a), v in sorted(daily.items())), names, tuple(notes))


def _count(row: Row, p: Period) -> Totals:
    out = row.out_at is not None and p.holds(row.out_at.date())
    sent = out and row.outcome in SENT_STEPS
    hours, approval = row.hours_to_publish, row.hours_to_approval
    contributed = row.merged_at is not None and p.holds(row.merged_at.date())
    return Totals(contributed=int(contributed),
                  approved=int(out and bool(row.approved_by)), published=int(sent),
                  drafted=int(out and row.outcome == "drafted"),
                  retracted=int(row.retracted_at is not None and p.holds(row.retracted_at.date())),
                  reads=row.reads, shares=row.shares, hours=(hours,) if sent and hours is not None else (),
                  approval_hours=(approval,) if contributed and approval is not None else ())


def _add(a: Totals, b: Totals) -> Totals:
    return Totals(a.contributed + b.contributed, a.approved + b.approved, a.published + b.published,
                  a.drafted + b.drafted, a.retracted + b.retracted, a.reads + b.reads, a.shares + b.shares,
                  a.hours + b.hours, a.approval_hours + b.approval_hours)


# -- tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    name: str  # the CSV's file name, without .csv
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


TOTAL_HEADER = ("投稿", "已审批", "已发布", "存草稿", "已撤回", "阅读人数", "分享人数", "创建到批准中位数(小时)",
                "合并到发布中位数(小时)")


def _totals_cells(t: Totals) -> tuple[Any, ...]:
    return (t.contributed, t.approved, t.published, t.drafted, t.retracted, t.reads, t.shares,
            _blank(t.median_approval_hours), _blank(t.median_hours))


def _blank(value: Any) -> Any:
    return "" if value is None else value


def tables(report: Report) -> list[Table]:
    name = report.names.get
    accounts = Table("accounts", "按账号", ("账号", "账号名称", *TOTAL_HEADER),
                     tuple((a, name(a, a), *_totals_cells(t)) for a, t in report.by_account.items()))
    departments = Table("departments", "按部门", ("账号", "部门", "部门名称", *TOTAL_HEADER),
                        tuple((a, d, name(d, d), *_totals_cells(t)) for (a, d), t in report.by_department.items()))
    tz = report.tz
    articles = Table("articles", "每篇文章", ("文章", "账号", "部门", "标题", "合并请求", "创建时间", "各审批人批准时间",
                                              "创建到批准(小时)", "合并时间", "结果", "发出时间", "撤回时间",
                                              "合并到发布(小时)", "审批人", "阅读人数", "分享人数"),
                     tuple((r.path, r.account, r.department, r.title, f"#{r.pull.number}" if r.pull else "",
                            _stamp(r.pull.opened.astimezone(tz)) if r.pull else "",
                            "、".join(f"{login} {_stamp(at.astimezone(tz))}" for login, at in r.pull.approvals) if r.pull else "",
                            _blank(r.hours_to_approval), _stamp(r.merged_at), OUTCOMES.get(r.outcome, "未发出"),
                            _stamp(r.out_at), _stamp(r.retracted_at), _blank(r.hours_to_publish), "、".join(r.approved_by),
                            r.reads if r.tracked else "", r.shares if r.tracked else "")
                           for r in report.rows if _in_period(r, report.period)))
    approvals: dict[tuple[str, str], list[str]] = {}
    for r in report.rows:
        if r.out_at is not None and report.period.holds(r.out_at.date()):
            for login in r.approved_by:
                approvals.setdefault((login, r.account), []).append(r.path)
    approvers = Table("approvers", "谁审批了什么", ("审批人", "账号", "篇数", "文章"),
                      tuple((login, account, len(paths), " ".join(paths))
                            for (login, account), paths in sorted(approvals.items())))
    daily = Table("daily", "每日阅读与分享", ("日期", "账号", "阅读人数", "分享人数"), report.daily)
    return [accounts, departments, articles, approvers, daily]


OUTCOMES = {"published": "已发表", "mass_sent": "已群发", "drafted": "存草稿"}


def _stamp(moment: datetime.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _in_period(row: Row, p: Period) -> bool:
    moments = (row.merged_at, row.out_at, row.retracted_at)
    return any(m is not None and p.holds(m.date()) for m in moments) or bool(row.reads or row.shares)


def csv_text(table: Table) -> str:
    out = io.StringIO()
    # CRLF as RFC 4180 says: the writer then quotes any cell holding \r or \n, so no text splits a row
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([[_inert(cell) for cell in row] for row in table.rows])
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (an editor's title "=HYPERLINK(...)"),
    prefixed with an apostrophe so Excel and WPS show it as text; numbers stay numbers."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell


# -- charts ---------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)
# Sizes for the chart as it is shown: about 600 px wide, two side by side on a laptop, so
# labels stay at least 12 px on screen (pygal's own 10 px labels on a 760 px chart were 7 px)
_WIDTH, _LABEL = 600, 13
_STYLE = Style(font_family="'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif",
               background="white", plot_background="white",
               label_font_size=_LABEL, major_label_font_size=_LABEL, legend_font_size=_LABEL + 1,
               title_font_size=_LABEL + 3, no_data_font_size=_LABEL * 2, value_font_size=_LABEL,
               tooltip_font_size=_LABEL,
               colors=("#07c160", "#576b95", "#fa9d3b", "#e64340", "#10aeff", "#9c6ade"))


def _wide_extra(labels: Sequence[str], size: int) -> int:
    """How much wider than pygal guesses the widest label is drawn.

    pygal sizes a label as 0.6 em per character, a Latin letter; a Chinese character is a
    full em, so the department names on the left of a horizontal bar chart were cut off.
    """
    return max((round(0.4 * size * sum(1 for c in label if unicodedata.east_asian_width(c) in "WF"))
                for label in labels), default=0)


def _chart(kind: type[pygal.graph.graph.Graph], title: str, labels: Sequence[str],
           series: Iterable[tuple[str, Sequence[float]]], **options: Any) -> str:
    # js=[]: pygal would otherwise add a <script> loading its tooltips from the network
    if kind is pygal.HorizontalBar:  # the labels stand on the left: room for them drawn at full width
        options.setdefault("margin_left", 20 + _wide_extra(labels, _LABEL))
    else:  # many labels under the plot, slanted so they do not run into each other
        options.setdefault("x_label_rotation", 30 if len(labels) > 6 else 0)
    chart = kind(title=title, style=_STYLE, js=[], disable_xml_declaration=True, width=_WIDTH, height=340,
                 legend_at_bottom=True, print_values=False,
                 truncate_legend=-1, truncate_label=-1, no_data_text="无数据", **options)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    # pygal still writes an inline <script> holding its config for the tooltip script that js=[]
    # left out: dead code, dropped so that the page runs no script at all. The SVG is XML, so
    # no "</script>" can occur inside that element's (escaped) text
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def charts(report: Report) -> list[tuple[str, str]]:
    """(title, inline SVG) of each chart."""
    name = report.names.get
    accounts = list(report.by_account)
    labels = [name(a, a) for a in accounts]
    count = _chart(pygal.Bar, "各账号文章数", labels, [
        ("投稿", [report.by_account[a].contributed for a in accounts]),
        ("已发布", [report.by_account[a].published for a in accounts]),
        ("存草稿", [report.by_account[a].drafted for a in accounts]),
        ("已撤回", [report.by_account[a].retracted for a in accounts])])
    departments = list(report.by_department)
    per_department = _chart(pygal.HorizontalBar, "各部门投稿与发布", [f"{name(a, a)} · {name(d, d)}" for a, d in departments], [
        # the series in the order, so the colours, of the chart above: 投稿 green in both
        ("投稿", [report.by_department[k].contributed for k in departments]),
        ("已发布", [report.by_department[k].published for k in departments])])
    days = sorted({d for d, _, _, _ in report.daily})
    by_day = {(d, a): r for d, a, r, _ in report.daily}
    reads = _chart(pygal.Line, "每日阅读人数", days,
                   [(name(a, a), [by_day.get((d, a), 0) for d in days]) for a in accounts if any((d, a) in by_day for d in days)])
    shares_by_day = {(d, a): s for d, a, _, s in report.daily}
    shares = _chart(pygal.Bar, "每日分享人数", days,
                    [(name(a, a), [shares_by_day.get((d, a), 0) for d in days])
                     for a in accounts if any((d, a) in shares_by_day for d in days)])
    return [("各账号文章数", count), ("各部门", per_department), ("每日阅读", reads), ("每日分享", shares)]


# -- output ---------------------------------------------------------------------------------

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("pipeline", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def html(report: Report, tabs: Sequence[Table]) -> str:
    return _ENV.get_template("report.html.j2").render(
        report=report, tables=tabs, charts=[(t, markupsafe.Markup(svg)) for t, svg in charts(report)],
        since=report.period.since.isoformat(), until=report.period.until.isoformat())


def markdown(report: Report, tabs: Sequence[Table]) -> str:
    """A summary for $GITHUB_STEP_SUMMARY: the account and department tables, and the notes."""
    lines = [f"## 公众号发布报告 {report.period.since.isoformat()} 至 {report.period.until.isoformat()}", ""]
    for table in tabs[:2]:
        lines += [f"### {table.title}", "", "| " + " | ".join(table.header) + " |",
                  "|" + "---|" * len(table.header)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows] or ["| 无 |"]
        lines.append("")
    if report.notes:
        lines += ["### 说明", "", *(f"- {_md_cell(note)}" for note in report.notes), ""]
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    """Text as a table cell of GitHub Markdown, which renders HTML in job summaries: a name in
    the policy shows as written, never as a tag, a link or a broken row. Every ASCII punctuation
    mark is backslash-escaped (CommonMark's literal form), the backslash too: escaping only some
    let a title's own backslash cancel ours (`\\[x\\](https://…)` became a link)."""
    return _MD_PUNCTUATION.sub(r"\\\g<0>", re.sub(r"[\r\n]+", " ", str(value)))


_MD_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def write(report: Report, out: Path) -> list[Path]:
    """report.html, one CSV per table and summary.md into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    tabs = tables(report)
    written = []
    for table in tabs:
        target = out / f"{table.name}.csv"
        target.write_text(csv_text(table), encoding="utf-8-sig")  # the BOM lets Excel read Chinese
        written.append(target)
    for name, text in (("report.html", html(report, tabs)), ("summary.md", markdown(report, tabs))):
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written
