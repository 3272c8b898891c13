#!/usr/bin/env python
"""A generated corpus where every lint rule has something to find, for comparing lint reports
across versions of wxpub (tests/test_lint_equivalence.py; its expected report was written by
the lint engine as it was before the speed work, see tests/golden/lint-corpus.README).

    python bench/faulty_corpus.py OUT_DIR [--articles N] [--seed S]

Each article starts as one of bench_lint.py's clean articles and gets 0-3 faults picked by a
seeded random generator from FAULTS: personal data, listed words, classified markers, hidden
characters, typography, headings, footnotes, tables, nesting, links out of the bundle, bad
covers (wrong size, PNG named .jpg, GPS in EXIF, truncated, missing), body images, front
matter errors, suppressions and the school's own rules. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import io
import random
import struct
import sys
import zlib
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image  # noqa: E402

import bench_lint  # noqa: E402

_COVER = bench_lint.cover_variants()[0]
_BODY_START = "---\n\n"


def _jpeg(width: int = 900, height: int = 500, *, gps: bool = False, color: tuple[int, int, int] = (40, 90, 160),
          fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes()) if gps else image.save(buffer, fmt)
    return buffer.getvalue()


def _huge_png(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims width x height: what a decompression bomb looks like to a
    reader of headers, without spending seconds encoding one."""
    data = bytearray(_jpeg(1, 1, fmt="PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


# One fault: (front matter lines, body, files of the bundle) -> the same, changed
Bundle = tuple[list[str], str, dict[str, bytes]]
Fault = Callable[[random.Random, Bundle], Bundle]


def _append(text: str) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        return fm, body + "\n" + text + "\n", files
    return fault


def _prepend(text: str) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        return fm, text + "\n\n" + body, files
    return fault


def _set_field(key: str, value: str | None) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        kept = [line for line in fm if not line.startswith(f"{key}:")]
        return (kept + [f"{key}: {value}"] if value is not None else kept), body, files
    return fault


def _file(name: str, data: Callable[[], bytes]) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        return fm, body, {**files, name: data()}
    return fault


def _remove_file(name: str) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        return fm, body, {k: v for k, v in files.items() if k != name}
    return fault


def _body_image(name: str, data: Callable[[], bytes]) -> Fault:
    def fault(rng: random.Random, bundle: Bundle) -> Bundle:
        fm, body, files = bundle
        return fm, body + f"\n![现场照片]({name})\n", {**files, name: data()}
    return fault


def _phone(rng: random.Random, bundle: Bundle) -> Bundle:
    fm, body, files = bundle
    return fm, body + f"\n联系电话：1{rng.choice('3456789')}{rng.randint(100000000, 999999999)}。\n", files


def _id_number(rng: random.Random, bundle: Bundle) -> Bundle:
    fm, body, files = bundle
    first17 = f"110101{rng.randint(1970, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return fm, body + f"\n身份证号{first17}{'10X98765432'[total % 11]}已登记。\n", files


def _inline_mix(rng: random.Random, bundle: Bundle) -> Bundle:
    fm, body, files = bundle
    word = rng.choice(["Python", "AI", "WiFi", "GitHub", "3D打印", "iPhone"])
    return fm, body + f"\n同学们学习了{word}相关知识,大家都说很有收获!\n", files


FAULTS: dict[str, Fault] = {
    "phone": _phone,
    "id-number": _id_number,
    "email": _append("报名请发邮件至 zhangsan.2026@example.com 。"),
    "student-no": _append("获奖同学学号：20261234567。"),
    "prohibited": _append("活动提醒大家远离赌博和毒品。"),
    "prohibited-loose": _append("切勿参与赌 博活动。"),
    "superlative": _append("我校食堂被评为全国第一。"),
    "classified": _append("本文件为内部资料，不得外传。"),
    "classified-allowed": _append("请妥善保管计算机密码。"),
    "zero-width": _append("校园\u200b开放日欢迎大家。"),
    "bidi": _set_field("author", '"王\u202e芳"'),
    "typography": _inline_mix,
    "h1": _prepend("# 一级标题"),
    "heading-jump": _append("#### 跳级标题\n\n正文。"),
    "empty-heading": _append("##\n\n正文。"),
    "footnote": _append("注释如下。\n\n[^1]: 没有被引用的脚注。"),
    "table-cells": _append("| 甲 | 乙 |\n| --- | --- |\n| 1 | 2 | 3 |"),
    "deep-list": _append("\n".join("  " * i + "- 层" for i in range(12))),
    "link-missing": _append("详见[附件](附件/日程.pdf)。"),
    "link-outside": _append("参见[上一篇](../other/index.md)。"),
    "link-external": _append("详见[学校官网](https://www.jcu.example.edu.cn/news)。"),
    "link-scheme": _append("点[这里](ftp://files.example.com/a.zip)。"),
    "image-external": _append("![外链](https://img.example.com/a.jpg)"),
    "cover-size": _file("cover.jpg", lambda: _jpeg(800, 600)),
    "cover-png": _file("cover.jpg", lambda: _jpeg(fmt="PNG")),
    "cover-gps": _file("cover.jpg", lambda: _jpeg(gps=True)),
    "cover-truncated": _file("cover.jpg", lambda: _jpeg()[:600]),
    "cover-missing": _remove_file("cover.jpg"),
    "body-png": _body_image("图1.png", lambda: _jpeg(300, 200, fmt="PNG")),
    "body-gps": _body_image("photo.jpg", lambda: _jpeg(300, 200, gps=True)),
    "body-misnamed": _body_image("chart.png", lambda: _jpeg(300, 200)),
    "long-title": _set_field("title", '"' + "校园文化艺术节系列活动之" * 4 + '"'),
    "long-digest": _set_field("digest", '"' + "这是一段很长的摘要" * 16 + '"'),
    "no-author": _set_field("author", None),
    "unknown-field": _set_field("colour", "red"),
    "bad-category": _set_field("category", "体育新闻"),
    "bad-department": _set_field("department", "library"),
    "bad-publish-at": _set_field("publish_at", '"2026-02-30 12:00"'),
    "secret": _set_field("classification", "internal"),
    "swap": _append("江大团委组织了这次活动。"),
    "exclaim": _append("太好了！真棒！加油！冲啊！赞！好！"),
    "conditional": _append("今年招生计划已经公布,报名链接见官网。"),
    "suppressed": _append("<!-- wxpub-disable PII002: 学校总机,可以公开 -->\n总机电话 13800001111。"),
    "suppress-unused": _append("<!-- wxpub-disable WORD001: 没有用 -->\n普通的一句话。\n\n<!-- wxpub-disable PII005 -->\n邮箱 a@b.example.com"),
    "long-line": _append("数" * 10_050),
    "comment": _append("<!-- 编辑备注:赌博 13912345678 -->"),
    "too-long": _append("校园生活丰富多彩。" * 60),
    "bank-card": _append("捐款账号 6222 0212 3456 7890 128。"),
    "control-char": _append("按下\x07键。"),
    "empty-body": lambda rng, bundle: (bundle[0], "<!-- 待写 -->\n", bundle[2]),
    "no-provenance": _set_field("original", None),
    "cover-bomb": _file("cover.jpg", lambda: _huge_png(12000, 8000)),
}


def faulty_article(rng: random.Random, index: str) -> tuple[str, dict[str, bytes], list[str]]:
    """index.md text, its files and the faults it was given."""
    head, _, body = index.partition(_BODY_START)
    fm = head.split("\n")[1:]
    fm = [line for line in fm if line]
    names = rng.sample(sorted(FAULTS), rng.choice((0, 1, 1, 2, 2, 3)))
    bundle: Bundle = (fm, body, {"cover.jpg": _COVER})
    for name in names:
        bundle = FAULTS[name](rng, bundle)
    fm, body, files = bundle
    return "---\n" + "\n".join(fm) + "\n" + _BODY_START + body, files, names


def write_corpus(root: Path, n: int, seed: int = 15) -> list[Path]:
    """Write n article bundles under root/content (policies and themes are the caller's); returns the bundles."""
    bundles = []
    departments = bench_lint.load_policies(bench_lint.PROJECT).departments
    for account, dept, category, name, i in bench_lint.plan_articles(n, seed):
        rng = random.Random(seed * 100003 + i)
        ctx = {"dept": departments[dept].name, "event": bench_lint.EVENTS[rng.randrange(len(bench_lint.EVENTS))]}
        text, files, _ = faulty_article(rng, bench_lint.make_index(rng, ctx, category, dept, name[:10]).text)
        bundle = root / "content" / account / dept / name
        bundle.mkdir(parents=True, exist_ok=True)
        (bundle / "index.md").write_text(text, encoding="utf-8")
        for file, data in files.items():
            (bundle / file).write_bytes(data)
        bundles.append(bundle)
    return bundles


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args(argv)
    write_corpus(args.out, args.articles, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
