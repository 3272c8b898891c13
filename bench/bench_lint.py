#!/usr/bin/env python
"""Benchmark `wxpub lint` on a large, realistic content repository.

    /work/venv/bin/python bench/bench_lint.py [--articles N] [--out DIR] [--regenerate]
                                              [--small M] [--repeat K] [--profile-articles P]

What it does, in one run:

1. Builds (or reuses) a content repository of N article bundles with a real Git history
   under OUT/repo-N: policies.yaml, policies/ and themes/ copied from this project, bundles
   content/<account>/<dept>/<YYYY-MM-DD-slug>/{index.md,cover.jpg} spread over the three
   accounts, their contributing departments and every category, committed in ~10 batches.
   Every article is meant to be clean (no errors or warnings; a few LINK003 notices from
   external links are expected), and the run reports the finding counts to prove it.
   The same for M = N/10 articles (OUT/repo-M) for the memory-flatness comparison.
2. Measures, side by side:
   a. full `wxpub --root REPO lint --format json` as a subprocess (wall incl. start-up,
      articles/s, peak RSS of that very child via os.wait4's rusage);
   b. the floor: pipeline.markdown.parser().render(body) over the same N bodies, in-process;
   c. the ratio a/b;
   d. incremental lint of a 5-article change with --changed-since (committed change, and
      uncommitted change), verifying the JSON "files" count is exactly 5;
   e. peak RSS of the full lint at M vs N articles.
3. Prints a Markdown table and writes it to OUT/results.md.
4. With --profile-articles P (e.g. 2000): runs the full lint of a P-article repository under
   cProfile and writes the top functions by cumulative and own time to OUT/profile-P.txt.

Only the standard library, the project's own dependencies (Pillow, PyYAML via pipeline) and
the `git` CLI are used.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from PIL import Image  # noqa: E402

from pipeline.content import _split_front_matter  # noqa: E402
from pipeline.markdown import parser  # noqa: E402
from pipeline.policies import load_policies  # noqa: E402

GENERATOR_VERSION = 4  # bump when the generated content changes, so old repos are rebuilt
PYTHON = Path(sys.executable)
WXPUB = PYTHON.parent / "wxpub"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}

# ---------------------------------------------------------------------------------------------
# Content generation
# ---------------------------------------------------------------------------------------------

# Share of articles per account (the official account carries most of the traffic)
ACCOUNT_WEIGHTS = {"official": 6, "cs-college": 2, "youth": 2}

PLACES = ["体育馆", "图书馆报告厅", "大学生活动中心", "田径场", "第一教学楼", "学术交流中心", "艺术楼音乐厅",
          "工程训练中心", "南区食堂二楼", "实验楼 A 座", "校史馆", "国际会议厅"]
EVENTS = ["秋季运动会", "新生开学典礼", "读书月活动", "科技文化节", "心理健康宣传周", "网络安全宣传周",
          "校园歌手大赛", "志愿服务表彰会", "学术报告会", "社团招新活动", "教学质量检查", "毕业生就业双选会",
          "程序设计竞赛", "消防安全演练", "师生书画展", "青年教师讲课比赛", "寒假社会实践总结会", "校园开放日"]
TOPICS = ["sports-day", "opening", "reading-month", "tech-festival", "mental-health", "cyber-week", "singer",
          "volunteers", "lecture", "clubs", "teaching-check", "job-fair", "programming-contest", "fire-drill",
          "art-show", "teaching-contest", "social-practice", "open-day"]
PEOPLE = ["王芳", "李明", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周军", "吴敏", "徐涛", "孙悦"]
ROLES = ["校长", "党委书记", "副校长", "教务处处长", "学院院长", "辅导员代表", "学生会主席", "校团委书记"]
SUBJECTS = ["人工智能", "数据科学", "网络空间安全", "软件工程", "先进制造", "新能源材料", "生态环境", "中国古典文学"]

SENTENCES = [
    "{month} 月 {day} 日下午，{event}在{place}举行，全校 {n} 余名师生参加了本次活动。",
    "本次活动由{dept}主办，各学院积极组织，现场气氛热烈而有序。",
    "{role}{person}出席并致辞，对同学们提出了殷切希望。",
    "{person}在发言中表示，要把课堂所学和社会需要结合起来，在实践中增长才干。",
    "活动分为开幕式、主题展示和交流分享三个环节，历时约 {hours} 个小时。",
    "同学们表示，这样的活动既开阔了眼界，也增强了团队协作意识。",
    "据了解，学校今年共开设{subject}方向课程 {k} 门，覆盖本科生 {n} 余人。",
    "{dept}相关负责人介绍，下一步将继续完善工作机制，让更多师生从中受益。",
    "现场还设置了互动体验区，吸引了不少同学驻足观看、动手尝试。",
    "与会专家围绕{subject}领域的最新进展作了深入浅出的讲解。",
    "参赛队伍经过初赛和复赛的层层选拔，最终有 {k} 支队伍进入决赛。",
    "比赛结束后，评委对各队的表现进行了逐一点评，并给出了改进建议。",
    "学校高度重视此项工作，成立了专门的工作小组，统筹安排各项准备事宜。",
    "各学院结合自身特点，开展了形式多样的配套活动。",
    "志愿者们提前一周开始布置场地、引导签到，为活动顺利开展提供了保障。",
    "许多家长也来到现场，与孩子一起感受校园文化的魅力。",
    "{person}同学说：“第一次站上这么大的舞台，心里既紧张又兴奋。”",
    "图书馆同步推出了主题书展，精选相关图书 {n} 余册供师生借阅。",
    "活动期间，校园里处处可见同学们认真准备、相互鼓励的身影。",
    "本学期以来，{dept}已累计组织各类讲座和培训 {k} 场。",
    "学校将以此为契机，进一步推进教育教学改革，提升人才培养质量。",
    "大家纷纷表示，收获很大，希望今后多举办类似的活动。",
    "主办方还为表现突出的集体和个人颁发了荣誉证书和纪念品。",
    "{role}{person}指出，要坚持立德树人，把思想引领贯穿工作全过程。",
    "随后，师生代表分别就学习体会和工作打算作了交流发言。",
    "当天天气晴朗，{place}内外彩旗飘扬，处处洋溢着青春的气息。",
    "本次活动共收到作品 {n} 余件，经专家评审，评出一等奖 {k} 项。",
    "为保证活动安全，保卫处和校医院提前制定了应急预案，并安排专人值守。",
    "{subject}实验室向本科生开放，同学们可以在老师指导下参与课题研究。",
    "参加活动的同学来自全校 {k} 个学院，其中一年级新生占了多数。",
    "学院邀请校友回到母校，与在校生分享学习和成长的经历。",
    "下一阶段，学校还将举办系列主题活动，欢迎广大师生踊跃参与。",
    "活动现场秩序井然，各环节衔接紧凑，得到了师生的一致好评。",
    "工作人员耐心解答同学们提出的问题，并发放了宣传资料。",
    "据统计，今年报名参加的学生人数比去年增加了 {k} 成。",
    "教师们认真备课、精心设计，课堂上讨论热烈，效果良好。",
    "同学们在老师带领下走进社区，开展宣传讲解和义务服务。",
    "此次活动的成功举办，为校园文化建设注入了新的活力。",
]
HEADINGS = ["活动回顾", "精彩瞬间", "师生反响", "工作安排", "经验做法", "下一步计划", "相关链接", "专家观点",
            "获奖名单", "活动亮点", "背景介绍", "后续安排"]
SUBHEADINGS = ["现场花絮", "同学心声", "数据一览", "组织保障"]
LIST_ITEMS = [
    "请各学院于 {month} 月 {day} 日前报送名单。", "活动地点：{place}。", "参加对象：全体在校学生。",
    "联系部门：{dept}。", "请携带学生证按时入场。", "活动全程免费，名额有限。", "现场提供饮用水和急救用品。",
    "优秀作品将在校报和公众号展示。", "请提前 {k} 分钟到达签到处。", "如遇雨天，活动顺延一天。",
]
TABLE_ROWS = [("开幕式", "{month} 月 {day} 日", "{place}"), ("主题报告", "{month} 月 {day} 日", "{place}"),
              ("分组交流", "{month} 月 {day} 日", "{place}"), ("总结表彰", "{month} 月 {day} 日", "{place}")]
CODE_BLOCKS = ["```text\n08:30  check-in\n09:00  opening\n10:30  workshop\n12:00  lunch\n```",
               "```python\nfor i in range(10):\n    print(i * i)\n```",
               "```\nssid: JCU-Guest\nportal: https://wifi.jcu.example.edu.cn\n```"]
SOURCES = [("人民网", "https://edu.people.example.cn/n1/2026/1020/c1006.html"),
           ("中国教育新闻网", "https://www.jyb.example.cn/rmtzcg/xwy/wzxw/202610/t20261020.html"),
           ("江城日报", "https://www.jcrb.example.cn/news/2026-10-20/1.html")]


@dataclass
class Rendered:
    text: str
    counted: int = 0  # approximate counted characters (prose only)


def _fill(rng: random.Random, template: str, ctx: dict[str, str]) -> str:
    values = {**ctx, "n": str(rng.randint(2, 9) * 100), "k": str(rng.randint(2, 9)),
              "hours": str(rng.randint(2, 4)), "month": str(rng.randint(1, 12)), "day": str(rng.randint(1, 28)),
              "place": rng.choice(PLACES), "person": rng.choice(PEOPLE), "role": rng.choice(ROLES),
              "subject": rng.choice(SUBJECTS)}
    return template.format(**values)


def _count(text: str) -> int:
    from pipeline.textcount import count_chars
    return count_chars(text)


def make_body(rng: random.Random, ctx: dict[str, str], with_cover_image: bool) -> Rendered:
    """A Chinese article body of ~600-1100 counted characters: paragraphs under ## headings, a
    list, and sometimes a ### heading, a table, a code block, links or an image."""
    target = rng.randint(630, 1050)
    blocks: list[str] = []
    counted = 0

    def para(sentences: int) -> None:
        nonlocal counted
        text = "".join(_fill(rng, rng.choice(SENTENCES), ctx) for _ in range(sentences))
        counted += _count(text)
        blocks.append(text)

    para(rng.randint(2, 3))
    extras = ["list"]
    if rng.random() < 0.15:
        extras.append("table")
    if rng.random() < 0.10:
        extras.append("code")
    if rng.random() < 0.30:
        extras.append("link")
    if with_cover_image:
        extras.append("image")
    if rng.random() < 0.20:
        extras.append("sub")
    rng.shuffle(extras)
    headings = iter(rng.sample(HEADINGS, len(HEADINGS)))
    while counted < target - 30:
        heading = next(headings, None)
        if heading:  # a section: ## heading, one or two paragraphs, maybe an extra block
            blocks.append(f"## {heading}")
            counted += _count(heading)
        for _ in range(rng.randint(1, 2)):
            if counted < target - 30:
                para(rng.randint(2, 3))
        if extras and counted < target - 100:
            extra = extras.pop()
            if extra == "list":
                ordered = rng.random() < 0.4
                items = [_fill(rng, t, ctx) for t in rng.sample(LIST_ITEMS, rng.randint(3, 5))]
                counted += sum(_count(i) for i in items)
                blocks.append("\n".join(f"{i + 1}. {t}" if ordered else f"- {t}" for i, t in enumerate(items)))
            elif extra == "table":
                rows = [tuple(_fill(rng, c, ctx) for c in row) for row in TABLE_ROWS]
                counted += _count("日程时间地点") + sum(_count("".join(r)) for r in rows)
                blocks.append("| 日程 | 时间 | 地点 |\n| --- | --- | --- |\n"
                              + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))
            elif extra == "code":
                blocks.append("具体安排如下：")
                counted += _count("具体安排如下：")
                blocks.append(rng.choice(CODE_BLOCKS))
            elif extra == "link":
                if rng.random() < 0.8:  # WeChat article links: no finding
                    text = "更多内容请阅读[往期报道](https://mp.weixin.qq.com/s/" + \
                           "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH") for _ in range(22)) + ")。"
                else:  # an external link: a LINK003 notice, as in real life
                    text = "详见[学校新闻网](https://news.jcu.example.edu.cn/info/1002/" + str(rng.randint(1000, 9999)) + ".htm)。"
                counted += _count("更多内容请阅读往期报道。")
                blocks.append(text)
            elif extra == "image":
                blocks.append("![活动现场](cover.jpg)")
            elif extra == "sub":
                blocks.append(f"### {rng.choice(SUBHEADINGS)}")
                counted += 4
                para(rng.randint(1, 2))
    return Rendered("\n\n".join(blocks) + "\n", counted)


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def make_index(rng: random.Random, ctx: dict[str, str], category: str, department: str, date: str) -> Rendered:
    event = ctx["event"]
    title = rng.choice([f"{ctx['dept']}举办{event}", f"我校{event}圆满落幕", f"{event}顺利举行",
                        f"记{ctx['dept']}{event}", f"{event}：青春在这里闪光"])[:32]
    lines = ["---", f"title: {_yaml_str(title)}", f"author: {_yaml_str(rng.choice(PEOPLE))}",
             f"department: {department}", f"category: {_yaml_str(category)}", "cover: cover.jpg"]
    if rng.random() < 0.5:
        lines.append(f"digest: {_yaml_str(_fill(rng, rng.choice(SENTENCES[:6]), ctx)[:120])}")
    if rng.random() < 0.9:
        lines.append("original: true")
    else:
        name, url = rng.choice(SOURCES)
        lines += ["source:", f"  name: {_yaml_str(name)}", f"  url: {_yaml_str(url)}"]
    if rng.random() < 0.3:
        lines.append(f'publish_at: "{date} {rng.choice(["12:30", "18:00", "20:00"])}"')
    if rng.random() < 0.3:
        lines.append(f"tags: [{_yaml_str(event)}, {_yaml_str(ctx['dept'])}]")
    lines += ["---", ""]
    body = make_body(rng, ctx, with_cover_image=rng.random() < 0.2)
    return Rendered("\n".join(lines) + "\n" + body.text, body.counted)


def cover_variants() -> list[bytes]:
    """A handful of real 900x500 JPEGs (gradient + colour band, so they are not trivially flat)."""
    out = []
    for hue, (r, g, b) in enumerate([(40, 90, 160), (160, 60, 50), (30, 130, 80), (120, 80, 150)]):
        image = Image.new("RGB", (900, 500), (r, g, b))
        band = Image.linear_gradient("L").resize((900, 500))
        image = Image.composite(image, Image.new("RGB", (900, 500), (240, 240, 235)), band)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        out.append(buffer.getvalue())
    return out


def git(repo: Path, *args: str, capture: bool = True) -> str:
    result = subprocess.run(["git", "-C", str(repo), "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null",
                             *args], check=True, capture_output=capture, text=True, env=GIT_ENV)
    return (result.stdout or "").strip()


def _meta_path(repo: Path) -> Path:
    return repo.with_name(repo.name + ".meta.json")


def plan_articles(n: int, seed: int) -> list[tuple[str, str, str, str, int]]:
    """(account, department, category, bundle name, index) for n articles, deterministic."""
    policies = load_policies(PROJECT)
    rng = random.Random(seed)
    accounts = [a for a in ACCOUNT_WEIGHTS if a in policies.accounts]
    weights = [ACCOUNT_WEIGHTS[a] for a in accounts]
    categories = list(policies.categories)
    plan = []
    for i in range(n):
        account = rng.choices(accounts, weights)[0]
        dept = rng.choice(policies.accounts[account].contributors)
        category = rng.choice(categories)
        day = 19000 + (i * 1461) // max(n, 1)  # spread over ~4 years, in order
        date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        topic = TOPICS[rng.randrange(len(TOPICS))]
        plan.append((account, dept, category, f"{date}-{topic}-{i:05d}", i))
    return plan


def generate_repo(repo: Path, n: int, *, regenerate: bool, batches: int = 10, seed: int = 20261020) -> tuple[bool, float]:
    """Build (or reuse) a content repository with n articles. Returns (reused, seconds)."""
    meta_file = _meta_path(repo)
    started = time.perf_counter()
    if not regenerate and meta_file.is_file() and (repo / ".git").is_dir():
        meta = json.loads(meta_file.read_text())
        if meta.get("articles") == n and meta.get("version") == GENERATOR_VERSION:
            # Undo whatever an interrupted earlier run may have left (the incremental step edits files)
            if git(repo, "rev-parse", "HEAD") != meta["head"] or git(repo, "status", "--porcelain"):
                git(repo, "reset", "-q", "--hard", meta["head"])
                git(repo, "clean", "-qfd")
            return True, time.perf_counter() - started
    if repo.exists():
        shutil.rmtree(repo)
    meta_file.unlink(missing_ok=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(PROJECT / "policies", repo / "policies")
    shutil.copy2(PROJECT / "policies.yaml", repo / "policies.yaml")
    shutil.copytree(PROJECT / "themes", repo / "themes")  # the render rule needs the accounts' themes
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add policies")
    policies = load_policies(PROJECT)
    covers = cover_variants()
    plan = plan_articles(n, seed)
    per_batch = max(1, -(-n // batches))
    for b in range(0, n, per_batch):
        for account, dept, category, name, i in plan[b:b + per_batch]:
            rng = random.Random(seed * 100003 + i)
            event_index = rng.randrange(len(EVENTS))
            ctx = {"dept": policies.departments[dept].name, "event": EVENTS[event_index]}
            article = make_index(rng, ctx, category, dept, name[:10])
            bundle = repo / "content" / account / dept / name
            bundle.mkdir(parents=True, exist_ok=True)
            (bundle / "index.md").write_text(article.text, encoding="utf-8")
            (bundle / "cover.jpg").write_bytes(covers[i % len(covers)])
        git(repo, "add", "-A", "content")
        git(repo, "commit", "-q", "-m", f"Add articles {b + 1}-{min(b + per_batch, n)}")
    git(repo, "repack", "-adq")  # a clone (as CI has) is packed, not 20000 loose objects
    head = git(repo, "rev-parse", "HEAD")
    meta_file.write_text(json.dumps({"articles": n, "version": GENERATOR_VERSION, "head": head, "seed": seed}))
    return False, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------

@dataclass
class Run:
    command: list[str]
    wall: float
    max_rss_kb: int  # peak RSS of the biggest single process (the child or a worker it reaped), from wait4
    returncode: int
    stdout: str = ""
    payload: dict = field(default_factory=dict)
    tree_pss_kb: int = 0  # peak of the summed PSS of the child and all its descendants (sampled)
    tree_procs: int = 0  # most processes seen in the tree at once


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except OSError:
        pass
    return kids


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared (copy-on-write) pages of forked workers are counted once in total."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb, self.peak_procs = 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(_children(pid))
            total = sum(_pss_kb(pid) for pid in pids)
            self.peak_kb = max(self.peak_kb, total)
            self.peak_procs = max(self.peak_procs, len(pids))
            self.stopped.wait(self.interval)


def run_child(command: list[str], *, cwd: Path | None = None, keep_stdout: bool = True,
              sample: bool = False) -> Run:
    """Run a child, timing its wall clock and taking its peak RSS from os.wait4's rusage (that
    child and the workers it reaped, max of any one process); with `sample`, also the peak
    summed PSS of the whole process tree, sampled at 10 Hz."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out_file, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out_file if keep_stdout else subprocess.DEVNULL,
                                stderr=err_file)
        sampler = TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if sampler:
            sampler.stopped.set()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        stdout, stderr = out_file.read(), err_file.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(command)}\n{stderr}")
    payload = json.loads(stdout) if stdout.strip().startswith("{") else {}
    return Run(command, wall, usage.ru_maxrss, proc.returncode, stdout, payload,
               sampler.peak_kb if sampler else 0, sampler.peak_procs if sampler else 0)


def lint_command(repo: Path, *extra: str) -> list[str]:
    return [str(WXPUB), "--root", str(repo), "lint", "--format", "json", *extra]


def severity_counts(payload: dict) -> dict[str, int]:
    counts: dict[str, int] = {"error": 0, "warning": 0, "notice": 0}
    for finding in payload.get("findings", []):
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    return counts


def code_counts(payload: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in payload.get("findings", []):
        counts[finding["code"]] = counts.get(finding["code"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def markdown_floor(repo: Path) -> dict[str, float]:
    """markdown-it-py alone over the same bodies: read (untimed), then parse+render, and parse only."""
    files = sorted((repo / "content").rglob("index.md"))
    t0 = time.perf_counter()
    bodies = []
    for file in files:
        split = _split_front_matter(file.read_text(encoding="utf-8"))
        assert split is not None, file
        bodies.append(split[1])
    read = time.perf_counter() - t0
    md = parser()
    md.render(bodies[0])  # warm up (rule chains are compiled lazily)
    t0 = time.perf_counter()
    for body in bodies:
        md.render(body)
    render = time.perf_counter() - t0
    t0 = time.perf_counter()
    for body in bodies:
        md.parse(body)
    parse = time.perf_counter() - t0
    return {"files": len(files), "read": read, "render": render, "parse": parse}


def edit_articles(repo: Path, count: int) -> list[Path]:
    """Append a clean paragraph to `count` articles spread over the repository."""
    files = sorted((repo / "content").rglob("index.md"))
    step = max(1, len(files) // count)
    chosen = files[::step][:count]
    for file in chosen:
        with file.open("a", encoding="utf-8") as handle:
            handle.write("\n本文有修改，补充了活动照片说明。\n")
    return chosen


def incremental(repo: Path, repeat: int) -> dict[str, object]:
    base = git(repo, "rev-parse", "HEAD")
    results: dict[str, object] = {"base": base}
    try:
        # d1: the change is committed (the CI case: lint --changed-since origin/main on a PR branch)
        edit_articles(repo, 5)
        git(repo, "commit", "-q", "-am", "Edit 5 articles")
        runs = [run_child(lint_command(repo, "--changed-since", base)) for _ in range(repeat)]
        results["committed"] = runs
        # d2: nothing changed since HEAD (the fixed cost of start-up + the Git diff scan)
        runs = [run_child(lint_command(repo, "--changed-since", "HEAD")) for _ in range(repeat)]
        results["nothing"] = runs
        git(repo, "reset", "-q", "--hard", base)
        # d3: the same 5 edits left uncommitted in the working tree (the author's pre-commit case)
        edit_articles(repo, 5)
        runs = [run_child(lint_command(repo, "--changed-since", "HEAD")) for _ in range(repeat)]
        results["uncommitted"] = runs
    finally:
        git(repo, "reset", "-q", "--hard", base)
        git(repo, "clean", "-qfd")
    return results


def supports_jobs() -> bool:
    """Whether this wxpub has `lint --jobs` (the forked worker pool)."""
    return "--jobs" in subprocess.run([str(WXPUB), "lint", "--help"], capture_output=True, text=True).stdout


def profile(repo: Path, out: Path, top: int = 25) -> tuple[str, list[str]]:
    """cProfile a full lint in one process (`--jobs 1`: a pool's workers would be invisible)."""
    stats_file = out / f"profile-{repo.name.split('-')[-1]}.pstats"
    command = [str(PYTHON), "-m", "cProfile", "-o", str(stats_file), "-m", "pipeline", "--root", str(repo),
               "lint", "--format", "json", *(["--jobs", "1"] if supports_jobs() else [])]
    run = run_child(command, cwd=PROJECT, keep_stdout=False)
    buffer = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=buffer)
    stats.strip_dirs()
    buffer.write(f"$ {_cmd(command)} > /dev/null\n# wall under cProfile: {run.wall:.2f} s\n")
    for key in ("cumulative", "tottime"):
        buffer.write(f"\n=== top {top} by {key} ===\n")
        stats.sort_stats(key).print_stats(top)
    return buffer.getvalue(), command


def stage_breakdown(repo: Path) -> str:
    """Where one process spends its time per article, timed around each step of engine.lint_one
    with perf_counter (no profiler overhead): load, markdown parse, each rule, suppressions.

    Uses content.load_article and the engine's internals (registry.CHECKS) the same way lint_one does; the
    Document views are lazy, so a rule is charged for the first view it touches (the body rule
    for nothing but counting once `tokens` is parsed and the reader text built up front; pii
    for prose_text; links for references; typography for visible_text)."""
    from pipeline.content import LoadProblem, find_bundles, load_article
    from pipeline.lint import engine, suppress
    from pipeline.lint.document import Document
    from pipeline.lint.registry import CHECKS
    from pipeline.snapshot import WorkTree

    clock = time.perf_counter
    started = clock()
    policies = load_policies(repo)
    paths = list(find_bundles(repo.resolve()))
    times: dict[str, float] = {"policies + find_bundles": clock() - started}
    for path in paths:
        t0 = clock()
        loaded = load_article(WorkTree(repo.resolve()), path)
        t1 = clock()
        times["load (read, front matter YAML, bundle hash)"] = times.get("load (read, front matter YAML, bundle hash)", 0) + t1 - t0
        if isinstance(loaded, LoadProblem):
            continue
        doc = Document(loaded, policies)
        doc.tokens  # noqa: B018  (parse once, as the first rule would)
        t2 = clock()
        times["markdown parse (Document.tokens)"] = times.get("markdown parse (Document.tokens)", 0) + t2 - t1
        doc.reader.loose  # noqa: B018  (the reader text and both its foldings, shared by the phrase rules)
        t2b = clock()
        times["reader text (Document.reader)"] = times.get("reader text (Document.reader)", 0) + t2b - t2
        t2 = t2b
        raw = []
        for name, check in CHECKS:
            t3 = clock()
            raw.extend(check(doc))
            times[f"rule {name}"] = times.get(f"rule {name}", 0) + clock() - t3
        t4 = clock()
        suppress.apply(doc, [engine._resolve(policies, f) for f in raw])
        times["resolve + suppressions"] = times.get("resolve + suppressions", 0) + clock() - t4
    total = clock() - started
    rows = [f"Per-stage time of a serial lint of {len(paths)} articles in-process (perf_counter, no profiler): "
            f"{total:.2f} s, {1000 * total / max(len(paths), 1):.2f} ms/article", "",
            "| stage | seconds | share | ms/article |", "|---|---|---|---|"]
    for name, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
        rows.append(f"| {name} | {seconds:.2f} | {100 * seconds / total:.1f}% | {1000 * seconds / len(paths):.3f} |")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT))
    except ValueError:
        return str(path)


def _cmd(command: list[str]) -> str:
    return " ".join(_rel(Path(c)) if c.startswith("/") else c for c in command)


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def machine_info() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version
    libs = ", ".join(f"{p} {version(p)}" for p in ("markdown-it-py", "pygit2", "jsonschema", "pillow", "autocorrect-py"))
    return (f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), Python {platform.python_version()}, "
            f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}, {libs}")


def project_state() -> str:
    head = git(PROJECT, "rev-parse", "--short", "HEAD")
    dirty = git(PROJECT, "status", "--porcelain", "--", "pipeline")
    return f"wxpub at commit {head}" + (" with uncommitted changes in pipeline/" if dirty else " (pipeline/ clean)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000, help="articles in the big repository (default 10000)")
    ap.add_argument("--small", type=int, default=None, help="articles in the small repository (default N/10)")
    ap.add_argument("--out", type=Path, default=PROJECT / "bench" / "out", help="output folder (default bench/out)")
    ap.add_argument("--regenerate", action="store_true", help="rebuild the repositories even if they exist")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each incremental lint (median reported)")
    ap.add_argument("--full-repeat", type=int, default=3, help="runs of each full lint (median reported)")
    ap.add_argument("--no-serial", action="store_true", help="skip the extra full lint with --jobs 1")
    ap.add_argument("--profile-articles", type=int, default=0, help="also profile a full lint of this many articles")
    args = ap.parse_args(argv)
    n = args.articles
    small = args.small or max(1, n // 10)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    med = lambda runs: statistics.median(r.wall for r in runs)  # noqa: E731
    spread = lambda runs: f"{min(r.wall for r in runs):.2f}–{max(r.wall for r in runs):.2f}"  # noqa: E731
    jobs = supports_jobs()

    repos = {}
    for size in sorted({n, small, *([args.profile_articles] if args.profile_articles else [])}):
        repo = out / f"repo-{size}"
        reused, seconds = generate_repo(repo, size, regenerate=args.regenerate)
        log(f"repo-{size}: {'reused' if reused else 'generated'} in {seconds:.1f} s")
        repos[size] = repo
    big, little = repos[n], repos[small]

    startup = statistics.median(run_child([str(WXPUB), "--version"]).wall for _ in range(5))
    log(f"start-up (wxpub --version): {startup:.3f} s")

    def full(repo: Path, size: int, *extra: str, repeat: int) -> list[Run]:
        runs = []
        for i in range(repeat):
            run = run_child(lint_command(repo, *extra), sample=True)
            if run.payload.get("files") != size:
                raise SystemExit(f"full lint of {repo} linted {run.payload.get('files')} files, expected {size}")
            log(f"  full lint {size} {' '.join(extra)} #{i + 1}: {run.wall:.2f} s, peak RSS {_mb(run.max_rss_kb)}, "
                f"tree PSS {_mb(run.tree_pss_kb)} ({run.tree_procs} procs)")
            runs.append(run)
        return runs

    full_big = full(big, n, repeat=args.full_repeat)
    full_serial = full(big, n, "--jobs", "1", repeat=1) if jobs and not args.no_serial else []
    full_small = full(little, small, repeat=args.full_repeat)
    small_serial = full(little, small, "--jobs", "1", repeat=1) if full_serial else []

    log("markdown-it-py floor ...")
    floor = markdown_floor(big)
    log(f"  render {floor['render']:.2f} s, parse {floor['parse']:.2f} s")

    log("incremental lint ...")
    inc = incremental(big, args.repeat)
    for key in ("committed", "nothing", "uncommitted"):
        files = {r.payload.get("files") for r in inc[key]}  # type: ignore[union-attr]
        expected = 0 if key == "nothing" else 5
        if files != {expected}:
            raise SystemExit(f"incremental lint ({key}) linted {files} files, expected {expected}")
    inc_wall = med(inc["committed"])
    log(f"  committed {inc_wall:.3f} s, nothing {med(inc['nothing']):.3f} s, uncommitted {med(inc['uncommitted']):.3f} s")

    big_wall = med(full_big)
    target_full = 20 * n / 10000  # the target is 20 s for 10,000 articles
    ratio = big_wall / floor["render"]
    rss = lambda runs: max(r.max_rss_kb for r in runs)  # noqa: E731
    pss = lambda runs: max(r.tree_pss_kb for r in runs)  # noqa: E731
    rss_ratio = rss(full_big) / rss(full_small)
    pss_ratio = pss(full_big) / pss(full_small)
    ok = lambda cond: "**met**" if cond else "**NOT met**"  # noqa: E731
    sev = severity_counts(full_big[0].payload)
    codes = code_counts(full_big[0].payload)
    r = lambda p: _rel(p)  # noqa: E731
    procs = max(x.tree_procs for x in full_big)
    lines = [
        f"# wxpub lint benchmark ({n} articles)",
        "",
        f"Machine: {machine_info()}. {project_state()}.",
        f"Repositories: `{r(big)}` ({n} articles) and `{r(little)}` ({small}), each a real Git history "
        f"(a policies commit + 10 batch commits, packed), every bundle an `index.md` of ~600–1100 counted "
        f"characters and a 900×500 JPEG `cover.jpg`.",
        f"Findings of the full lint of {n}: {sev['error']} errors, {sev['warning']} warnings, {sev['notice']} notices"
        f" ({', '.join(f'{c} ×{k}' for c, k in codes.items()) or 'none'}).",
        f"Wall times include interpreter start-up; full lints are the median of {args.full_repeat} runs (range "
        f"given), incremental ones the median of {args.repeat}. Peak RSS is the biggest single process (from "
        f"`os.wait4`); tree PSS is the peak summed proportional set size of the lint and its worker processes "
        f"(sampled at 10 Hz; copy-on-write pages shared after fork counted once).",
        "",
        "| # | measurement | result | target | verdict |",
        "|---|---|---|---|---|",
        f"| a | full lint, {n} articles, default jobs ({procs} processes seen): wall | **{big_wall:.2f} s** "
        f"({spread(full_big)} s; {n / big_wall:.0f} articles/s) | ≤ {target_full:g} s | {ok(big_wall <= target_full)} |",
        f"| a | full lint, {n} articles: peak RSS (largest process) / tree PSS | {_mb(rss(full_big))} / "
        f"{_mb(pss(full_big))} | | |",
    ]
    if full_serial:
        sw = full_serial[0].wall
        lines.append(f"| a' | full lint, {n} articles, `--jobs 1` (one process): wall / peak RSS | {sw:.2f} s "
                     f"({n / sw:.0f} articles/s) / {_mb(rss(full_serial))} | | |")
    lines += [
        f"| b | floor: markdown-it-py parse+render of the same {n} bodies, one process | **{floor['render']:.2f} s** "
        f"({n / floor['render']:.0f} bodies/s) | | |",
        f"| b' | (reference) markdown-it-py parse only, which is what lint needs | {floor['parse']:.2f} s | | |",
        f"| c | ratio a / b | **{ratio:.1f}×** | ≤ 2× | {ok(ratio <= 2)} |",
    ]
    if full_serial:
        lines.append(f"| c' | ratio a' / b (one core vs one core) | {full_serial[0].wall / floor['render']:.1f}× | | |")
    lines += [
        f"| d | incremental: 5 articles changed and committed, `--changed-since <base>` | **{inc_wall:.3f} s** "
        f"({spread(inc['committed'])} s), files = 5 ✓ | ≤ 1 s | {ok(inc_wall <= 1)} |",
        f"| d' | same 5 edits uncommitted, `--changed-since HEAD` | {med(inc['uncommitted']):.3f} s "
        f"({spread(inc['uncommitted'])} s), files = 5 ✓ | ≤ 1 s | {ok(med(inc['uncommitted']) <= 1)} |",
        f"| d'' | nothing changed, `--changed-since HEAD` (start-up + policies + Git diff) | "
        f"{med(inc['nothing']):.3f} s, files = 0 | | |",
        f"| – | start-up alone, `wxpub --version` (median of 5) | {startup:.3f} s | | |",
        f"| e | full lint, {small} articles: wall / peak RSS / tree PSS | {med(full_small):.2f} s / "
        f"{_mb(rss(full_small))} / {_mb(pss(full_small))} | | |",
        f"| e | memory at {n} vs {small} articles ({n // small}× the articles) | peak RSS {rss_ratio:.2f}×, "
        f"tree PSS **{pss_ratio:.2f}×** | flat (≈ 1×) | {ok(max(rss_ratio, pss_ratio) <= 1.25)} |",
        *([f"| e' | same with `--jobs 1` (one process): peak RSS {n} vs {small} articles | "
           f"{_mb(rss(full_serial))} vs {_mb(rss(small_serial))} = **{rss(full_serial) / rss(small_serial):.2f}×** | "
           f"flat (≈ 1×) | {ok(rss(full_serial) / rss(small_serial) <= 1.25)} |"] if small_serial else []),
        "",
        "Commands (from the project root; `wxpub` is `/work/venv/bin/wxpub`):",
        "",
        "```sh",
        "# a, e: stdout captured to a temp file (then parsed to check \"files\"), not a terminal",
        f"{_cmd(full_big[0].command)} > /dev/null",
        *([f"{_cmd(full_serial[0].command)} > /dev/null"] if full_serial else []),
        f"{_cmd(full_small[0].command)} > /dev/null",
        *([f"{_cmd(small_serial[0].command)} > /dev/null"] if small_serial else []),
        "# b: in-process, pipeline.markdown.parser().render(body) for every index.md body (front matter stripped)",
        "# d: base = HEAD before a commit that edits 5 articles; d' and d'' run after `git reset --hard <base>`",
        f"{_cmd(lint_command(big, '--changed-since', '<base>'))}",
        f"{_cmd(lint_command(big, '--changed-since', 'HEAD'))}",
        "# the whole benchmark",
        f"/work/venv/bin/python bench/bench_lint.py --articles {n}"
        + (f" --profile-articles {args.profile_articles}" if args.profile_articles else ""),
        "```",
        "",
    ]
    report = "\n".join(lines)
    if args.profile_articles:
        size = args.profile_articles
        log(f"profiling full lint of {size} ...")
        text, command = profile(repos[size], out)
        log(f"stage breakdown of {size} ...")
        try:
            stages = stage_breakdown(repos[size])
        except Exception as exc:  # the engine's internals moved: the profile above still stands
            stages = f"stage breakdown unavailable: {exc!r}\n"
        text = stages + "\n" + text
        (out / f"profile-{size}.txt").write_text(text, encoding="utf-8")
        report += "\n" + stages
        report += f"\ncProfile of a full lint of {size} articles in one process: `{r(out / f'profile-{size}.txt')}`.\n"
    (out / "results.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
