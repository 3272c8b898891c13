#!/usr/bin/env python
"""Benchmark `render_article` against the markdown-it-py floor on the lint benchmark's corpus.

    /work/venv/bin/python bench/bench_render.py [--articles N] [--out DIR] [--repeat K] [--chunk C]
                                                [--profile-articles P] [--browser-articles B] [--regenerate]

What it does, in one process:

1. Reuses (or builds) the content repository that bench/bench_lint.py generates under
   OUT/repo-N, through that script's own `generate_repo`: the same N articles, byte for byte.
2. Measures, side by side on the same articles:
   a. full render per article: `load_article` (read index.md, split and parse the front
      matter) + `render_article` (markdown-it parse, the token renderer with inline styles,
      Pygments for code, numbered references, the jinja2 template) with the account's theme;
   b. the floor with the same file reading: open and read each index.md, decode it, split off
      the front matter (a string split, no YAML), then `pipeline.markdown.parser().render(body)`
      (markdown-it-py parse + its own HTML renderer, nothing of ours);
   c. the ratio a / b: both sides read every file;
   a'. `render_article` alone, on articles already loaded into memory;
   b'. the floor on the same bodies already in memory: `parser().render(body)`;
   c'. the ratio a' / b': neither side reads a file.
   All four run chunk by chunk (C articles, default 500) back to back, K runs (default 5); per
   chunk the fastest run counts and the chunks are summed, so a neighbour's burst of CPU during
   one measurement cannot skew a ratio. The whole-run totals are shown as a range.
3. Times the stages of the render (load, parse, token renderer, the rest) in one extra pass.
4. With --profile-articles P: runs the full render of OUT/repo-P under cProfile and writes the
   top functions by cumulative and own time to OUT/render-profile-P.txt.
5. Line d: the opt-in browser check (`wxpub render --check`: render, static rules, layout
   measured in Chromium) of the first B articles (default 200), seconds per article, one
   browser for all of them. It is not part of the ratio.
6. Prints a Markdown table and writes it to OUT/render-results.md.

Policies and themes come from this project (the generated repositories hold a copy of its
policies.yaml but no themes/ folder).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any, Callable

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from bench_lint import _rel, generate_repo, machine_info, project_state  # noqa: E402

from pipeline.content import Article, _split_front_matter, find_bundles, load_article  # noqa: E402
from pipeline.markdown import parser  # noqa: E402
from pipeline.policies import Policies, load_policies  # noqa: E402
from pipeline.render import render_article  # noqa: E402
from pipeline.snapshot import WorkTree  # noqa: E402

TARGET_RATIO = 1.5  # full render within 1.5x of the markdown-it floor
TARGET_MS = 6.0  # and under 6 ms per article


def bundles(repo: Path) -> list[PurePosixPath]:
    return list(find_bundles(repo))


def full_render(repo: Path, paths: list[PurePosixPath], policies: Policies) -> tuple[float, list[int]]:
    """Seconds to load and render every article, and the length of each article's HTML."""
    sizes = []
    started = time.perf_counter()
    for path in paths:
        article = load_article(WorkTree(repo), path)
        assert isinstance(article, Article), article
        sizes.append(len(render_article(article, policies).content))
    return time.perf_counter() - started, sizes


def loaded_render(articles: list[Article], policies: Policies) -> float:
    """Seconds to render articles already loaded (no file is read)."""
    started = time.perf_counter()
    for article in articles:
        render_article(article, policies)
    return time.perf_counter() - started


def read_articles(repo: Path, paths: list[PurePosixPath]) -> list[Article]:
    articles = []
    for path in paths:
        article = load_article(WorkTree(repo), path)
        assert isinstance(article, Article), article
        articles.append(article)
    return articles


def floor_render(bodies: list[str]) -> float:
    """markdown-it-py over bodies already in memory."""
    md = parser()
    started = time.perf_counter()
    for body in bodies:
        md.render(body)
    return time.perf_counter() - started


def floor_render_reading(repo: Path, paths: list[PurePosixPath]) -> float:
    """markdown-it-py with the file reading the full render does: read, decode, split."""
    md = parser()
    started = time.perf_counter()
    for path in paths:
        split = _split_front_matter((repo / path).read_bytes().decode("utf-8"))
        assert split is not None, path
        md.render(split[1])
    return time.perf_counter() - started


def measure(repo: Path, paths: list[PurePosixPath], articles: list[Article], policies: Policies, repeat: int,
            chunk: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Floor and full render of the same chunk of articles back to back, chunk after chunk, run
    after run. Per chunk the fastest of the runs counts (as timeit does: a neighbour's burst only
    ever adds time), so a burst during one measurement cannot skew the ratio; the totals of each
    whole run are kept too, for their spread."""
    starts = range(0, len(paths), chunk)
    kinds = ("floor", "render", "floor_mem", "render_mem")
    times = {kind: [[0.0] * repeat for _ in starts] for kind in kinds}
    bodies = [article.body for article in articles]
    sizes: list[int] = []
    for r in range(repeat):
        gc.collect()
        for c, start in enumerate(starts):
            part = slice(start, start + chunk)
            times["floor"][c][r] = floor_render_reading(repo, paths[part])
            times["render"][c][r], chunk_sizes = full_render(repo, paths[part], policies)
            times["floor_mem"][c][r] = floor_render(bodies[part])
            times["render_mem"][c][r] = loaded_render(articles[part], policies)
            if r == 0:
                sizes += chunk_sizes
        log(f"  run {r + 1}: " + ", ".join(f"{kind} {sum(t[r] for t in times[kind]):.2f} s" for kind in kinds))
    result: dict[str, Any] = {"sizes": sizes}
    for kind in kinds:
        result[kind] = sum(min(t) for t in times[kind])
        result[f"{kind}_runs"] = [sum(t[r] for t in times[kind]) for r in range(repeat)]
    return result


def profile(repo: Path, policies: Policies, out: Path, top: int = 30) -> Path:
    paths = bundles(repo)
    full_render(repo, paths[:20], policies)  # warm up: themes, templates, lexers
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    full_render(repo, paths, policies)
    profiler.disable()
    wall = time.perf_counter() - started
    buffer = io.StringIO()
    buffer.write(f"cProfile of the full render (load_article + render_article) of {len(paths)} articles "
                 f"in {_rel(repo)}: {wall:.2f} s under the profiler\n")
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs()
    for key in ("cumulative", "tottime"):
        buffer.write(f"\n=== top {top} by {key} ===\n")
        stats.sort_stats(key).print_stats(top)
    target = out / f"render-profile-{len(paths)}.txt"
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def stage_breakdown(repo: Path, paths: list[PurePosixPath], policies: Policies) -> str:
    """Where the full render's time goes, timed around each step with perf_counter (one extra
    pass, not used above): load, markdown-it parse, our token renderer, and the rest of
    render_article (theme lookup, jinja2 template, references), which is the render minus the
    parse and the renderer, both measured again on the same article right after it."""
    from pipeline.render import theme_for
    from pipeline.render.html import Renderer, RenderState

    clock = time.perf_counter
    md = parser()
    times = {"load_article (read, front matter YAML)": 0.0, "render_article": 0.0, "parse": 0.0, "renderer": 0.0}
    for path in paths:
        t0 = clock()
        article = load_article(WorkTree(repo), path)
        t1 = clock()
        assert isinstance(article, Article)
        render_article(article, policies)
        t2 = clock()
        tokens = md.parse(article.body)
        t3 = clock()
        Renderer(RenderState(theme_for(article, policies), str, article.files)).render(tokens)
        t4 = clock()
        times["load_article (read, front matter YAML)"] += t1 - t0
        times["render_article"] += t2 - t1
        times["parse"] += t3 - t2
        times["renderer"] += t4 - t3
    n = len(paths)
    rest = times["render_article"] - times["parse"] - times["renderer"]
    rows = [("load_article (read, front matter YAML)", times["load_article (read, front matter YAML)"]),
            ("render_article: markdown-it parse", times["parse"]),
            ("render_article: token renderer (html.py, highlight.py)", times["renderer"]),
            ("render_article: the rest (theme, jinja2 template, references)", rest)]
    total = sum(seconds for _, seconds in rows)
    lines = [f"Stages of the full render, one extra pass over the {n} articles (perf_counter, no profiler):", "",
             "| stage | seconds | share | ms/article |", "|---|---|---|---|"]
    lines += [f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f}% | {1000 * seconds / n:.3f} |" for name, seconds in rows]
    return "\n".join(lines) + "\n"


def browser_check(repo: Path, paths: list[PurePosixPath], policies: Policies) -> str:
    """The opt-in browser check (`render --check`'s layout rules), per article over a tree: one
    browser started once, then every article rendered and checked, static rules included."""
    from pipeline.render.layout import BrowserUnavailable, open_checker, structure_problems

    started = time.perf_counter()
    try:
        checker = open_checker()
    except BrowserUnavailable as exc:
        return f"| d | browser check (opt-in, `render --check`) | not measured: {exc} | | | | |"
    opened = time.perf_counter() - started
    flagged = 0
    with checker:
        started = time.perf_counter()
        for path in paths:
            article = load_article(WorkTree(repo), path)
            assert isinstance(article, Article), article
            html = render_article(article, policies).content
            flagged += bool(structure_problems(checker, html, (repo / path).parent))
        seconds = time.perf_counter() - started
    n = len(paths)
    return (f"| d | browser check (opt-in, `render --check`): render + static + layout rules in Chromium at "
            f"375/585/677 px, {n} articles, one browser (started in {opened:.2f} s, not included); "
            f"{flagged} articles with problems | {seconds:.2f} s | **{1000 * seconds / n:.1f}** | {n / seconds:.1f} "
            f"| separate, opt-in | |")


def state() -> str:
    try:
        return project_state()
    except Exception:  # not a Git checkout (e.g. a copy of the tree, to measure an older renderer)
        return "wxpub outside Git"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000, help="articles in the repository (default 10000)")
    ap.add_argument("--out", type=Path, default=PROJECT / "bench" / "out", help="output folder (default bench/out)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each measurement (fastest per chunk counts)")
    ap.add_argument("--chunk", type=int, default=500, help="articles per floor/render pair (default 500)")
    ap.add_argument("--regenerate", action="store_true", help="rebuild the repository even if it exists")
    ap.add_argument("--browser-articles", type=int, default=200,
                    help="articles checked in the browser for line d (default 200; 0 skips it)")
    ap.add_argument("--profile-articles", type=int, default=0, help="also profile the render of this many articles")
    args = ap.parse_args(argv)
    n = args.articles
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    repo = out / f"repo-{n}"
    reused, seconds = generate_repo(repo, n, regenerate=args.regenerate)
    log(f"repo-{n}: {'reused' if reused else 'generated'} in {seconds:.1f} s")
    policies = load_policies(PROJECT)
    paths = bundles(repo)
    if len(paths) != n:
        raise SystemExit(f"{repo} holds {len(paths)} articles, expected {n}")
    articles = read_articles(repo, paths)
    full_render(repo, paths[:20], policies)  # warm up both: themes, templates, lexers, rule chains
    floor_render_reading(repo, paths[:20])

    m = measure(repo, paths, articles, policies, args.repeat, args.chunk, log)
    floor, render, sizes = m["floor"], m["render"], m["sizes"]
    ratio = render / floor
    render_ms, floor_ms = 1000 * render / n, 1000 * floor / n
    ok = lambda cond: "**met**" if cond else "**NOT met**"  # noqa: E731
    spread = lambda runs: f"runs {min(runs):.2f}–{max(runs):.2f} s"  # noqa: E731
    command = f"/work/venv/bin/python bench/bench_render.py --articles {n} --repeat {args.repeat} --chunk {args.chunk} " \
              f"--browser-articles {args.browser_articles}" + \
              (f" --profile-articles {args.profile_articles}" if args.profile_articles else "")
    try:
        stages = stage_breakdown(repo, paths, policies)
    except Exception as exc:  # the renderer's internals moved: the figures above still stand
        stages = f"stage breakdown unavailable: {exc!r}\n"
    lines = [
        f"# wxpub render benchmark ({n} articles)",
        "",
        f"Machine: {machine_info()}. {state()}.",
        f"Corpus: `{_rel(repo)}`, generated by bench/bench_lint.py (~600–1100 counted characters per body; "
        f"headings, lists, some tables, code blocks, links, images). One process; floor and render of each "
        f"chunk of {args.chunk} articles back to back, {args.repeat} runs, the fastest run of each chunk summed "
        f"(the totals of whole runs in brackets). HTML per article: {statistics.mean(sizes):.0f} characters "
        f"on average, {max(sizes)} at most (WeChat: < 20,000).",
        "",
        "| # | measurement | total | ms/article | articles/s | target | verdict |",
        "|---|---|---|---|---|---|---|",
        f"| a | full render: `load_article` + `render_article` (theme, highlight, references, template) "
        f"| {render:.2f} s ({spread(m['render_runs'])}) | **{render_ms:.3f}** | {n / render:.0f} | < {TARGET_MS:g} ms "
        f"| {ok(render_ms < TARGET_MS)} |",
        f"| b | floor: read index.md, split off the front matter (no YAML), `parser().render(body)` "
        f"| {floor:.2f} s ({spread(m['floor_runs'])}) | {floor_ms:.3f} | {n / floor:.0f} | | |",
        f"| c | ratio a / b (both read every file) | | **{ratio:.2f}×** | | ≤ {TARGET_RATIO:g}× | {ok(ratio <= TARGET_RATIO)} |",
        f"| a' | `render_article` alone, articles already loaded | {m['render_mem']:.2f} s ({spread(m['render_mem_runs'])}) "
        f"| {1000 * m['render_mem'] / n:.3f} | {n / m['render_mem']:.0f} | | |",
        f"| b' | floor: `parser().render(body)`, bodies already in memory | {m['floor_mem']:.2f} s "
        f"({spread(m['floor_mem_runs'])}) | {1000 * m['floor_mem'] / n:.3f} | {n / m['floor_mem']:.0f} | | |",
        f"| c' | ratio a' / b' (neither reads a file) | | **{m['render_mem'] / m['floor_mem']:.2f}×** | | | |",
        *([browser_check(repo, paths[:args.browser_articles], policies)] if args.browser_articles else []),
        "",
        stages,
        "```sh",
        command,
        "```",
        "",
    ]
    report = "\n".join(lines)
    if args.profile_articles:
        size = args.profile_articles
        profile_repo = out / f"repo-{size}"
        reused, seconds = generate_repo(profile_repo, size, regenerate=args.regenerate)
        log(f"repo-{size}: {'reused' if reused else 'generated'} in {seconds:.1f} s; profiling ...")
        target = profile(profile_repo, policies, out)
        report += f"\ncProfile of the full render of {size} articles: `{_rel(target)}`.\n"
    (out / "render-results.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
