"""The hostile-input corpus: inputs an attacker, a careless paste or a broken file would
give wxpub, each with what it must answer. tests/test_hostile.py runs every case through
the real CLI (lint, render, publish into the sandbox, approvals where it matters).

A case builds a repository from the sample (policy, word lists, themes) and one article,
changes what it is about, and names the answer: the exit code of its first command, the
rule code and line of the finding (or, for a configuration error, a fragment of the
message on stderr), and how many articles `publish --sandbox` may send (0 for every
refusal). Cases whose fix belongs to another part of issue 10 carry `fixed_by`: they are
strict xfails, so they flip to failures (and the mark must go) once that part is merged.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from PIL import Image

from tests.testing.fixtures import PROJECT, VALID_FM, jpeg_bytes

# -- what a case expects ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    exit: int  # of the case's first command: 0 clean, 1 findings, 2 usage or configuration
    code: str = ""  # a finding with this code must be reported ("" with exit 1: any error)
    fragment: str = ""  # ...whose message contains this; with exit 2, stderr contains it
    line: int | None = None  # ...at this line of its file
    published: int = 0  # articles `publish --sandbox` may send; every refusal sends nothing


@dataclass(frozen=True)
class Case:
    id: str
    expect: Expect
    index: str | bytes | None = None  # the whole index.md; None: the valid article with the changes below
    front_matter: Mapping[str, Any] = field(default_factory=dict)  # overrides of the valid front matter
    drop: tuple[str, ...] = ()  # front matter keys to leave out
    body: str | None = None  # the Markdown body (None: the valid body)
    files: Mapping[str, bytes] = field(default_factory=dict)  # more files in the bundle (cover.jpg overrides)
    repo_files: Mapping[str, bytes] = field(default_factory=dict)  # files anywhere in the repository
    policy: Callable[[str], str] | None = None  # rewrites the sample policies.yaml text
    setup: Callable[[Path], None] | None = None  # anything else (symlinks, a second article)
    argv: tuple[str, ...] = ("lint",)  # the first command; `lint` runs with --format json
    pipeline: bool = True  # also render, publish into the sandbox (and approvals if asked)
    approvals: bool = False  # run `wxpub approvals` on a pull request adding the article
    approved: bool = False  # ...approved by its department and the publicity office only: enough?
    fixed_by: str = ""  # the part of issue 10 that fixes it: a strict xfail until merged
    budget: float = 60.0  # seconds each command may take: past it the case has hung


BUNDLE = "content/official/publicity/2026-10-20-sports-day"
BODY_START = 9  # where the valid article's body starts (after ---, 6 fields, ---): whole-body findings
BODY_LINE = 10  # its first line of text (after a blank line)
TITLE_LINE, AUTHOR_LINE, CATEGORY_LINE, COVER_LINE = 2, 3, 5, 6
NOTICE_FM = VALID_FM.replace("category: 学校新闻", "category: 通知公告")  # needs the school leader's stage


def policy_line(needle: str) -> int:
    """The line of the sample policies.yaml that starts with `needle`."""
    lines = (PROJECT / "policies.yaml").read_text(encoding="utf-8").split("\n")
    return next(number for number, line in enumerate(lines, 1) if line.startswith(needle))


def policy_error(id: str, old: str, new: str, fragment: str, *, count: int = 1, fixed_by: str = "") -> Case:
    """A policies.yaml with `old` replaced by `new`: every command stops with exit 2 and says why."""
    def edit(text: str) -> str:
        assert text.count(old) == count, (old, text.count(old))
        return text.replace(old, new)
    return Case(id, Expect(2, fragment=fragment), policy=edit, fixed_by=fixed_by)


def edited(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)
    return edit


def raw(front_matter: str = VALID_FM, body: str = "学校举行秋季运动会，全校师生参加。\n") -> str:
    """index.md written by hand: --- front matter --- blank line body (body on line 10 with VALID_FM)."""
    return f"---\n{front_matter}---\n\n{body}"


# -- files -----------------------------------------------------------------------------------


def png_bytes(width: int = 900, height: int = 500, *, exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 60, 60))
    buffer = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (30.0, 35.0, 10.0)}
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, "PNG", **kwargs)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: a 1-bit black PNG whose every row decompresses from almost nothing."""
    rows = b"".join([b"\x00" + b"\x00" * ((width + 7) // 8)]) * height
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9))
            + _chunk(b"IEND", b""))


def _gps_jpeg_cut_in_scan() -> bytes:
    data = jpeg_bytes(gps=True)
    return data[: data.index(b"\xff\xda") + 200]  # the EXIF (with GPS) intact, the picture cut off


GPS_JPEG = jpeg_bytes(gps=True)
BOMB = png_bomb(10_000, 9_000)  # 90 million pixels: just over Pillow's limit, 11 KB on disk
SUPER_BOMB = png_bomb(20_000, 10_000)  # over twice the limit: Pillow refuses even to open it
WIDE = "运动会，" * 75_000  # a 900 KB line


def _symlink(name: str, target: Path) -> Callable[[Path], None]:
    def make(repo: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_bytes(jpeg_bytes(600, 400))
        (repo / BUNDLE / name).symlink_to(target)
    return make


def _replace_with_symlink(relative: str, target: Path) -> Callable[[Path], None]:
    def make(repo: Path) -> None:
        (repo / relative).unlink()
        (repo / relative).symlink_to(target)
    return make


def _policy_as_symlink(repo: Path) -> None:
    (repo / "policies").joinpath("real.yaml").write_bytes((repo / "policies.yaml").read_bytes())
    (repo / "policies.yaml").unlink()
    (repo / "policies.yaml").symlink_to("policies/real.yaml")


def _policy_in_gbk(repo: Path) -> None:
    policy = repo / "policies.yaml"
    policy.write_bytes(policy.read_text(encoding="utf-8").encode("gbk"))


def _policy_as_directory(repo: Path) -> None:
    (repo / "policies.yaml").unlink()
    (repo / "policies.yaml").mkdir()


def _second_article(department: str, name: str) -> Callable[[Path], None]:
    def make(repo: Path) -> None:
        from tests.testing.fixtures import write_article
        write_article(repo, department=department, slug=name, front_matter={"title": "运动会(另一份)"})
    return make


def _theme(files: Mapping[str, bytes | None]) -> Callable[[Path], None]:
    """A theme folder `themes/broken/` made from classic with `files` replaced (None: removed)."""
    def make(repo: Path) -> None:
        import shutil
        shutil.copytree(repo / "themes/classic", repo / "themes/broken")
        for name, data in files.items():
            if data is None:
                (repo / "themes/broken" / name).unlink()
            else:
                (repo / "themes/broken" / name).write_bytes(data)
    return make


USE_BROKEN_THEME = edited("    theme: classic\n", "    theme: broken\n")
ALIAS_BOMB = "".join(f"{a}: &{a} [{', '.join(['*' + b] * 9 if b else ['x'] * 9)}]\n"
                     for a, b in zip("abcdefgh", ["", *"abcdefg"]))  # 9^8 values from 300 bytes

# -- the corpus ------------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    # Custom rule and word list messages: placeholders are checked when the policy loads and
    # filled in without str.format (a `{0}` used to crash lint and publish).
    policy_error("message-positional-placeholder", "message: 请使用规范名称「{replacement}」", "message: 请使用{0}「{replacement}」",
                 "占位符 `{0}` 无法填写"),
    policy_error("message-unknown-name", "message: 请使用规范名称「{replacement}」", "message: 请使用「{name}」",
                 "占位符 `{name}` 无法填写"),
    policy_error("message-typo-did-you-mean", "message: 请使用规范名称「{replacement}」", "message: 请使用「{replacment}」",
                 "是否想写 `replacement`"),
    policy_error("message-attribute-access", "message: 请使用规范名称「{replacement}」", "message: 「{match.__class__}」",
                 "占位符 `{match.__class__}`"),
    policy_error("message-index-access", "message: 请使用规范名称「{replacement}」", "message: 「{match[0]}」",
                 "占位符 `{match[0]}`"),
    policy_error("message-format-spec", "感叹号过多(全文 {count} 个", "感叹号过多(全文 {count:>5} 个",
                 "占位符 `{count:>5}`"),
    policy_error("message-placeholder-of-another-rule-type", "涉及「{match}」的文章须经校领导审批",
                 "涉及「{match}」的文章须改为「{replacement}」", "占位符 `{replacement}` 无法填写"),
    policy_error("wordlist-message-positional", "message: 含广告法禁用的极限用语「{match}」", "message: 含「{0}」",
                 "wordlists.1.message"),
    Case("message-lone-open-brace-is-literal", Expect(0, "SCH001", "规范{名称", BODY_LINE, published=1),
         policy=edited("请使用规范名称「{replacement}」", "请使用规范{名称「{replacement}」"), body="江大运动会开幕。\n"),
    Case("message-lone-close-brace-is-literal", Expect(0, "SCH001", "名称}「江城大学」", BODY_LINE, published=1),
         policy=edited("请使用规范名称「{replacement}」", "请使用规范名称}「{replacement}」"), body="江大运动会开幕。\n"),
    Case("message-doubled-braces-are-literal", Expect(0, "SCH001", "写作 {match}:「江大」", BODY_LINE, published=1),
         policy=edited("请使用规范名称「{replacement}」,不要写「{match}」", "写作 {{match}}:「{match}」"),
         body="江大运动会开幕。\n"),

    # Word list files: UTF-8 with file:line and byte, every entry able to match.
    Case("wordlist-gbk", Expect(2, fragment="prohibited.txt:3: 第 "),
         repo_files={"policies/wordlists/prohibited.txt": "# words\n# in GBK\n赌博\n毒品\n".encode("gbk")}),
    Case("wordlist-latin1-later-line", Expect(2, fragment="prohibited.txt:3: 第 "),
         repo_files={"policies/wordlists/prohibited.txt": "赌博\n毒品\n".encode() + b"caf\xe9\n"}),
    Case("wordlist-utf16", Expect(2, fragment="0xFF"),
         repo_files={"policies/wordlists/prohibited.txt": "赌博\n".encode("utf-16")}),
    Case("allow-list-gbk", Expect(2, fragment="prohibited-allow.txt:1: 第 "),
         repo_files={"policies/wordlists/prohibited-allow.txt": "远离毒品\n".encode("gbk")}),
    Case("wordlist-utf8-bom-still-matches", Expect(1, "WORD001", "赌博", BODY_LINE),
         repo_files={"policies/wordlists/prohibited.txt": "\ufeff赌博\n毒品\n".encode()}, body="赌博害人。\n"),
    Case("wordlist-crlf-still-matches", Expect(1, "WORD001", "毒品", BODY_LINE),
         repo_files={"policies/wordlists/prohibited.txt": "赌博\r\n毒品\r\n".encode()}, body="远离毒枭，毒品害人。\n"),
    Case("wordlist-nul-byte", Expect(2, fragment="prohibited.txt:2: 「赌<U+0000>博」含看不见的字符 U+0000"),
         repo_files={"policies/wordlists/prohibited.txt": "毒品\n赌\x00博\n".encode()}),
    Case("wordlist-zero-width-in-word", Expect(2, fragment="prohibited.txt:1: 「赌<U+200B>博」含看不见的字符 U+200B"),
         repo_files={"policies/wordlists/prohibited.txt": "赌\u200b博\n".encode()}),
    Case("wordlist-bidi-in-word", Expect(2, fragment="U+202E(RIGHT-TO-LEFT OVERRIDE)"),
         repo_files={"policies/wordlists/prohibited.txt": "赌博\n\u202e毒品\n".encode()}),
    Case("wordlist-form-feed-in-word", Expect(2, fragment="prohibited.txt:1: 「赌<U+000C>博」"),
         repo_files={"policies/wordlists/prohibited.txt": "赌\x0c博\n".encode()}),
    Case("wordlist-homoglyph-word", Expect(2, fragment="混用了形近的 LATIN、CYRILLIC 字母"),
         repo_files={"policies/wordlists/prohibited.txt": "赌博\nc\u0430sino\n".encode()}),  # Cyrillic а
    Case("wordlist-greek-homoglyph-word", Expect(2, fragment="LATIN、GREEK"),
         repo_files={"policies/wordlists/prohibited.txt": "p\u03bfker\n".encode()}),  # Greek ο
    policy_error("wordlist-is-a-directory", "policies/wordlists/superlatives.txt", "policies/wordlists",
                 "文件 policies/wordlists 不是普通文件"),
    policy_error("wordlist-outside-repo", "policies/wordlists/superlatives.txt", "../../../etc/passwd", "在仓库之外"),
    Case("wordlist-symlink-outside-repo", Expect(2, fragment="superlatives.txt 是符号链接"),
         setup=_replace_with_symlink("policies/wordlists/superlatives.txt", Path("/etc/hostname"))),
    # Inside the repository too: what a link points at is decided by the checkout, not by review
    Case("wordlist-symlink-inside-repo", Expect(2, fragment="superlatives.txt 是符号链接"),
         setup=_replace_with_symlink("policies/wordlists/superlatives.txt", Path("prohibited.txt"))),
    Case("policy-symlink", Expect(2, fragment="policies.yaml 是符号链接"), setup=_policy_as_symlink),
    Case("wordlist-huge-file", Expect(2, fragment="超过上限 8192 KB"),
         repo_files={"policies/wordlists/superlatives.txt": ("最好\n" * 1_500_000).encode()}),
    policy_error("custom-token-zero-width", "tokens: [招生计划, 录取分数线, 人事任免]", "tokens: [\"招生\\u200b计划\", 录取分数线]",
                 "custom_rules.2.tokens: 「招生<U+200B>计划」含看不见的字符"),
    policy_error("classified-marker-zero-width", "classified_markers: [涉密,", "classified_markers: [\"涉\\u200d密\",",
                 "content.classified_markers: 「涉<U+200D>密」"),
    policy_error("swap-key-homoglyph", "      计院: 计算机学院\n", "      \"c\\u0430mpus\": 校园\n", "custom_rules.0.swap"),

    # lint --fix on files that are not what their names say: findings, never a crash.
    Case("fix-cover-not-an-image", Expect(1, "MEDIA012", "cover.jpg", COVER_LINE), files={"cover.jpg": b"not an image\n"},
         argv=("lint", "--fix")),
    Case("fix-cover-truncated-jpeg", Expect(1, "MEDIA012", "cover.jpg", COVER_LINE),
         files={"cover.jpg": GPS_JPEG[:300]}, argv=("lint", "--fix")),
    Case("fix-gps-jpeg-cut-in-picture", Expect(1, "MEDIA012", "文件不完整", COVER_LINE),
         files={"cover.jpg": _gps_jpeg_cut_in_scan()}, argv=("lint", "--fix")),
    Case("fix-empty-cover", Expect(1, "MEDIA012", "cover.jpg", COVER_LINE), files={"cover.jpg": b""}, argv=("lint", "--fix")),
    Case("fix-png-with-gps-named-jpg", Expect(1, "MEDIA002", "实际是 PNG", COVER_LINE),
         files={"cover.jpg": png_bytes(exif_gps=True)}, argv=("lint", "--fix")),
    Case("fix-html-named-jpg", Expect(1, "MEDIA012", "cover.jpg", COVER_LINE),
         files={"cover.jpg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"}, argv=("lint", "--fix")),
    Case("fix-bomb-cover", Expect(1, "MEDIA014", "9000", COVER_LINE), files={"cover.jpg": BOMB}, argv=("lint", "--fix")),
    Case("body-image-is-text", Expect(1, "MEDIA012", "photo.jpg", BODY_LINE + 2), body="运动会现场。\n\n![现场](photo.jpg)\n",
         files={"photo.jpg": b"GIF89a? no, just text"}, argv=("lint", "--fix")),
    Case("body-image-truncated-png", Expect(1, "MEDIA012", "photo.png", BODY_LINE + 2),
         body="运动会现场。\n\n![现场](photo.png)\n", files={"photo.png": png_bytes()[:-40]}),

    # Images: checked by content, and by pixel count (decompression bombs).
    Case("png-named-jpg-as-cover", Expect(1, "MEDIA002", "实际是 PNG", COVER_LINE), files={"cover.jpg": png_bytes()}),
    Case("png-named-jpg-in-body-is-a-warning-and-publishes", Expect(0, "MEDIA010", "内容是 PNG", BODY_LINE + 2, published=1),
         body="运动会现场。\n\n![现场](photo.jpg)\n", files={"photo.jpg": png_bytes(600, 400)}),
    Case("bomb-body-image", Expect(1, "MEDIA014", "10000×9000 像素", BODY_LINE + 2),
         body="运动会现场。\n\n![现场](photo.png)\n", files={"photo.png": BOMB}),
    Case("bomb-over-twice-the-limit", Expect(1, "MEDIA014", "像素数远超上限", BODY_LINE + 2),
         body="运动会现场。\n\n![现场](photo.png)\n", files={"photo.png": SUPER_BOMB}),
    Case("bomb-cover-named-png", Expect(1, "MEDIA014", "解压炸弹", COVER_LINE), front_matter={"cover": "cover.png"},
         files={"cover.png": BOMB}),

    # Command lines: out-of-range numbers are refused by argparse, in Chinese.
    Case("serve-port-too-high", Expect(2, fragment="端口应在 0 到 65535 之间"), argv=("serve", "--port", "70000"), pipeline=False),
    Case("serve-port-negative", Expect(2, fragment="收到 -1"), argv=("serve", "--port", "-1"), pipeline=False),
    Case("serve-port-not-a-number", Expect(2, fragment="端口应为整数,收到「abc」"), argv=("serve", "--port", "abc"),
         pipeline=False),
    Case("sandbox-port-too-high", Expect(2, fragment="端口应在 0 到 65535 之间"), argv=("sandbox", "serve", "--port", "65536"),
         pipeline=False),
    Case("sandbox-port-negative", Expect(2, fragment="收到 -5"), argv=("sandbox", "serve", "--port", "-5"), pipeline=False),
    Case("sandbox-port-float", Expect(2, fragment="端口应为整数"), argv=("sandbox", "serve", "--port", "1e3"), pipeline=False),
    Case("lint-jobs-zero", Expect(2, fragment="应为不小于 1 的整数"), argv=("lint", "--jobs", "0"), pipeline=False),
    Case("approvals-negative-pr", Expect(2, fragment="应为不小于 1 的整数"), argv=("approvals", "--pr", "-3"), pipeline=False),

    # Characters nobody sees, in front matter texts and the body: findings on the pull request.
    Case("title-bel", Expect(1, "CHAR001", "U+0007(BELL)", TITLE_LINE), front_matter={"title": "运动会\a开幕"}),
    Case("title-escape", Expect(1, "CHAR001", "U+001B(ESCAPE)", TITLE_LINE), front_matter={"title": "\x1b[31m运动会"}),
    Case("title-nul", Expect(1, "CHAR001", "U+0000(NULL)", TITLE_LINE), front_matter={"title": "运动会\x00"}),
    Case("title-rtl-override", Expect(1, "CHAR002", "U+202E(RIGHT-TO-LEFT OVERRIDE)", TITLE_LINE),
         front_matter={"title": "运动会\u202e幕开"}),
    Case("title-rtl-isolate", Expect(1, "CHAR002", "U+2067", TITLE_LINE), front_matter={"title": "运动会\u2067开幕\u2069"}),
    Case("title-zero-width-space", Expect(1, "CHAR003", "U+200B(ZERO WIDTH SPACE)", TITLE_LINE),
         front_matter={"title": "运动\u200b会"}),
    Case("title-inner-bom", Expect(1, "CHAR003", "U+FEFF", TITLE_LINE), front_matter={"title": "运动会\ufeff开幕"}),
    Case("title-hangul-filler", Expect(1, "CHAR003", "U+3164(HANGUL FILLER)", TITLE_LINE),
         front_matter={"title": "运动会\u3164"}),
    Case("title-tag-characters", Expect(1, "CHAR003", "U+E0041", TITLE_LINE), front_matter={"title": "运动会\U000e0041\U000e007f"}),
    Case("author-zero-width-joiner", Expect(1, "CHAR003", "U+200D", AUTHOR_LINE), front_matter={"author": "王\u200d芳"}),
    Case("digest-next-line", Expect(1, "CHAR001", "U+0085", 8), index=raw(VALID_FM + 'digest: "摘要\\N第二行"\n')),
    Case("digest-line-separator", Expect(1, "CHAR001", "U+2028", 8), index=raw(VALID_FM + 'digest: "摘要\\L第二行"\n')),
    Case("source-name-rtl-override", Expect(1, "CHAR002", "source.name", 8), drop=("original",),
         front_matter={"source": {"name": "新华\u202e社", "url": "https://example.com/a"}}),
    Case("category-zero-width", Expect(1, "CHAR003", "栏目(category)", CATEGORY_LINE), front_matter={"category": "学校新闻\u200b"}),
    Case("key-zero-width", Expect(1, "CHAR003", "字段 title\u200b", 8), front_matter={"title\u200b": "运动会"}),
    Case("raw-bel-in-yaml", Expect(1, "ART003", "YAML 不允许的控制字符", TITLE_LINE),
         index=raw(VALID_FM.replace("秋季运动会", "秋季\a运动会"))),
    Case("body-bel", Expect(1, "CHAR001", "U+0007(BELL)", BODY_LINE), body="运动会\a开幕。\n"),
    Case("body-ansi-colour", Expect(1, "CHAR001", "U+001B", BODY_LINE + 2), body="日志如下。\n\n\x1b[31m错误\x1b[0m\n"),
    Case("body-trojan-source-comment", Expect(1, "CHAR002", "U+202E", BODY_LINE),
         body="<!-- 审核意见:\u202e 已批准 -->运动会开幕。\n"),
    Case("body-zero-width-inside-listed-word", Expect(1, "CHAR003", "U+200B", BODY_LINE), body="严禁赌\u200b博。\n"),
    Case("body-soft-hyphen", Expect(1, "CHAR003", "U+00AD(SOFT HYPHEN)", BODY_LINE), body="运动\xad会开幕。\n"),
    Case("body-line-separator", Expect(1, "CHAR001", "U+2029", BODY_LINE), body="运动会\u2029开幕。\n"),
    Case("body-nul-is-binary", Expect(1, "ART001", "二进制文件", 1), body="运动会\x00开幕。\n"),
    Case("body-emoji-family-is-fine", Expect(0, published=1), body="全家人来看运动会 👨\u200d👩\u200d👧 ！\n"),

    # Content the publisher would refuse or carry unseen: findings at the line, before review.
    Case("line-900kb-paragraph", Expect(1, "BODY006", "超过单行上限 10000", BODY_LINE), body=WIDE + "\n"),
    Case("line-900kb-code-block", Expect(1, "BODY006", "超过单行上限", BODY_LINE + 1),
         body="```\n" + "a b " * 225_000 + "\n```\n"),
    Case("line-900kb-comment", Expect(1, "BODY006", "超过单行上限", BODY_LINE + 2),
         body="运动会开幕。\n\n<!-- " + "x" * 900_000 + " -->\n"),
    Case("line-long-unused-link-definition", Expect(1, "BODY006", "15015", BODY_LINE + 2),
         body="运动会开幕。\n\n[x]: https://example.com/" + "a" * 14_990 + "\n"),
    Case("html-too-long-code-lines", Expect(1, "RENDER001", "微信要求少于 20000 字符", BODY_START),
         body="代码如下。\n\n```python\n" + "print('运动会开幕')\n" * 600 + "```\n"),
    Case("html-too-long-list", Expect(1, "RENDER001", "微信要求少于 20000 字符", BODY_START), body="- 项\n" * 800),
    Case("html-too-long-table", Expect(1, "RENDER001", "小于 1 MB", BODY_START),
         body="| 项目 | 成绩 |\n|---|---|\n" + "| 跳 | 1 |\n" * 300),
    Case("file-over-one-megabyte", Expect(1, "ART001", "文件过大", 1), body=WIDE + "\n" + WIDE + "\n"),
    # markdown-it drops what lies past its nesting limit: said at the line, not "empty" (BODY002)
    Case("deep-blockquote", Expect(1, "BODY007", "嵌套过深", BODY_LINE), body=">" * 5000 + " 运动会\n"),
    # lists deeper than WeChat keeps are flattened, every word published, the first flattened level said
    Case("deep-list-then-text", Expect(0, "RENDER003", "展平", BODY_LINE + 5, published=1),
         body="".join("  " * depth + "- 第几层\n" for depth in range(12)) + "\n运动会圆满结束。\n"),
    Case("deeper-list-than-markdown-keeps", Expect(1, "BODY007", "嵌套过深", BODY_LINE + 63),
         body="".join("  " * depth + "- 第几层\n" for depth in range(70)) + "\n运动会圆满结束。\n"),
    Case("thousands-of-brackets-is-a-notice", Expect(0, "TYPO002", "已跳过", BODY_START, published=1),
         body="运动会开幕。" + "[" * 5000 + "\n"),
    Case("a-thousand-open-links-is-a-notice", Expect(0, "TYPO002", "已跳过", BODY_START, published=1),
         body="运动会开幕。" + "[a](" * 1000 + "\n"),
    Case("five-thousand-open-links-are-too-long", Expect(1, "RENDER001", "微信要求少于 20000 字符", BODY_START),
         body="运动会开幕。" + "[a](" * 5000 + "\n"),

    # policies.yaml: unknown keys are errors with a did-you-mean; every reference is checked.
    policy_error("key-daily-capp", "      daily_cap: 2                               # one or two", "      daily_capp: 2 # one",
                 "未知的键 `daily_capp`。是否想写 `daily_cap`?"),
    policy_error("key-top-level-typo", "timezone: Asia/Shanghai", "timezon: Asia/Shanghai", "是否想写 `timezone`?"),
    policy_error("key-theme-typo", "    theme: classic\n", "    themee: classic\n", "是否想写 `theme`?"),
    policy_error("key-stage-typo", "    department: leadership\n", "    department: leadership\n    min_approval: 2\n",
                 "是否想写 `min_approvals`?"),
    policy_error("key-content-typo", "  max_chars: 1200", "  max_char: 1200", "是否想写 `max_chars`?"),
    policy_error("key-wordlist-typo", "    allow: policies/wordlists/prohibited-allow.txt",
                 "    allwo: policies/wordlists/prohibited-allow.txt", "是否想写 `allow`?"),
    policy_error("key-custom-rule-typo", "    exceptions: [浙江大学", "    exeptions: [浙江大学", "是否想写 `exceptions`?"),
    policy_error("key-credentials-typo", "      secret_env: WXPUB_YOUTH_SECRET", "      secret: WXPUB_YOUTH_SECRET",
                 "是否想写 `secret_env`?"),
    Case("theme-unknown", Expect(1, "RENDER002", "找不到主题 `nosuch`", 1),
         policy=edited("    theme: classic\n", "    theme: nosuch\n")),
    Case("theme-without-template", Expect(1, "RENDER002", "缺少 article.html.j2", 1), policy=USE_BROKEN_THEME,
         setup=_theme({"article.html.j2": None})),
    Case("theme-template-unknown-variable", Expect(1, "RENDER002", "主题模板出错", 1), policy=USE_BROKEN_THEME,
         setup=_theme({"article.html.j2": b"<section>{{ article.nope.deeper }}</section>"})),
    Case("theme-yaml-gbk", Expect(1, "RENDER002", "不是 UTF-8 编码", 1), policy=USE_BROKEN_THEME,
         setup=_theme({"theme.yaml": "name: 经典\nstyles:\n  p: \"margin: 0\"\n".encode("gbk")})),
    Case("theme-template-gbk", Expect(1, "RENDER002", "不是 UTF-8 编码", 1), policy=USE_BROKEN_THEME,
         setup=_theme({"article.html.j2": "<section>{{ body }}作者</section>".encode("gbk")})),
    Case("theme-unknown-code-style", Expect(1, "RENDER002", "未知的代码配色 `nosuch`", 1), policy=USE_BROKEN_THEME,
         setup=_theme({"theme.yaml": b"name: x\ncode_style: nosuch\nstyles:\n  p: \"margin: 0\"\n"})),
    policy_error("rule-unknown-account", "    tokens: [\"！\", \"!\"]\n", "    tokens: [\"！\", \"!\"]\n    accounts: [offical]\n",
                 "未定义的账号 `offical`(是否想写 `official`?)"),
    policy_error("rule-unknown-category", "    tokens: [\"！\", \"!\"]\n", "    tokens: [\"！\", \"!\"]\n    categories: [学校要闻]\n",
                 "未定义的栏目 `学校要闻`"),
    policy_error("rule-unknown-field", "    require_field: read_more", "    require_field: read_mor",
                 "未定义的 front matter 字段 `read_mor`(是否想写 `read_more`?)"),
    policy_error("rule-unknown-stage", "    require_stage: leadership", "    require_stage: leadershp",
                 "未定义的审批阶段 `leadershp`(是否想写 `leadership`?)"),
    policy_error("governing-body-typo", "governing_body: publicity", "governing_body: publicty", "是否想写 `publicity`?"),
    policy_error("team-without-at", "    reviewers: [\"@jcu-media/leadership\"]", "    reviewers: [\"jcu-media/leadership\"]",
                 "应写作 @组织名/团队名"),
    policy_error("team-org-leading-hyphen", "    reviewers: [\"@jcu-media/leadership\"]", "    reviewers: [\"@-jcu/leadership\"]",
                 "不以连字符开头或结尾"),
    policy_error("team-org-double-hyphen", "    reviewers: [\"@jcu-media/leadership\"]", "    reviewers: [\"@jcu--media/leadership\"]",
                 "单个连字符"),
    policy_error("team-listed-twice", "    reviewers: [\"@jcu-media/leadership\"]",
                 "    reviewers: [\"@jcu-media/leadership\", \"@jcu-media/leadership\"]", "列表中有重复项"),
    policy_error("swap-cycle", "      计院: 计算机学院\n", "      计院: 计算机学院\n      计算机学院: 计院\n", "替换形成链或循环"),
    policy_error("swap-chain", "      计院: 计算机学院\n", "      计院: 计算机学院\n      计算机学院: 信息学院\n", "替换形成链或循环"),
    policy_error("swap-to-itself", "      计院: 计算机学院\n", "      计院: 计院\n", "替换成它自己"),
    policy_error("yaml-cycle-in-policy", "school: 江城大学", "school: &s [*s]", "循环引用"),
    policy_error("department-called-article", "  info-center:\n", "  article:\n    name: 文章部\n    reviewers: [\"@jcu-media/x\"]\n  info-center:\n",
                 "部门 id 不能是 `article`"),
    policy_error("stage-empty", "  league:\n    name: 校团委审核\n    department: youth-league\n", "  league: {}\n",
                 "缺少必填键 `name`"),
    policy_error("stage-null", "  league:\n    name: 校团委审核\n    department: youth-league\n", "  league:\n",
                 "stages.league: 没有填写,应为映射"),
    policy_error("stage-name-empty", "    name: 校团委审核\n", "    name: \"\"\n", "不能为空"),
    policy_error("account-without-stages", "    approval_stages: [department, league]        # dept → 校团委 (第四条)",
                 "    approval_stages: []", "至少需要 1 项"),
    policy_error("no-stages-at-all", "stages:\n  department:", "stages: {}\nold_stages:\n  department:", "stages: 至少需要 1 项"),
    policy_error("occurrence-min-above-max", "    max: 5\n", "    max: 5\n    min: 9\n", "min(9)大于 max(5)"),
    policy_error("footer-rtl-override", "    footer: 江城大学党委宣传部 出品 · 投稿请联系各学院新闻中心\n",
                 "    footer: \"江城大学\\u202e部传宣委党 出品\"\n",
                 "accounts.official.footer: 「江城大学<U+202E>部传宣委党 出品」含看不见的字符"),
    policy_error("department-name-zero-width", "    name: 党委宣传部\n", "    name: \"党委\\u200b宣传部\"\n",
                 "departments.publicity.name"),
    policy_error("category-name-zero-width", "  - name: 学校新闻\n", "  - name: \"学校新闻\\u200b\"\n",
                 "categories.0.name"),
    policy_error("cover-formats-empty", "    formats: [jpeg]                               # 封面采用", "    formats: []  #",
                 "content.cover.formats: 至少需要 1 项"),
    policy_error("rule-without-tokens", "    tokens: [招生计划, 录取分数线, 人事任免]", "    tokens: []",
                 "custom_rules.2.tokens: 至少需要 1 项"),
    policy_error("substitution-without-swaps", "    swap:\n      江大: 江城大学\n      计院: 计算机学院\n      团委: 校团委\n",
                 "    swap: {}\n", "custom_rules.0.swap: 至少需要 1 项"),
    policy_error("custom-rule-code-twice", "  - code: SCH004", "  - code: SCH003", "规则代码 `SCH003` 与 custom_rules 第 3 条重复"),
    Case("policy-gbk", Expect(2, fragment="policies.yaml:3: 第 "), setup=_policy_in_gbk),
    Case("policy-is-a-directory", Expect(2, fragment="不是普通文件"), setup=_policy_as_directory),

    Case("rules-override-unknown-code", Expect(1, "POL001", "是否想写 `TYPO001`", policy_line("  LINK003:"), published=1),
         policy=edited("  LINK003:\n    severity: notice\n", "  TPYO001:\n    severity: off\n")),
    Case("custom-rule-takes-builtin-code", Expect(1, "POL001", "内置规则「含手机号码」", policy_line("  - code: SCH002"),
                                                  published=1),
         policy=edited("  - code: SCH002", "  - code: PII002")),
    Case("wordlist-takes-builtin-code", Expect(1, "POL001", "内置规则「含居民身份证号码」", policy_line("    code: WORD003"),
                                               published=1),
         policy=edited("    code: WORD003", "    code: PII001")),
    Case("render-theme-outside-themes", Expect(2, fragment="找不到主题 `../../etc`"),
         argv=("render", "--theme", "../../etc", "{repo}/" + BUNDLE), pipeline=False),
    Case("render-to-unwritable-file", Expect(2, fragment="无法写入"),
         argv=("render", "-o", "/proc/wxpub/out.html", "{repo}/" + BUNDLE), pipeline=False),
    Case("preview-to-unwritable-folder", Expect(2, fragment="无法写入预览"),
         argv=("preview", "-o", "/proc/wxpub", "{repo}/" + BUNDLE), pipeline=False),
    Case("publish-unknown-revision", Expect(2, fragment="找不到 Git 版本 `nosuch`"),
         argv=("publish", "--sandbox", "--rev", "nosuch", "--dry-run"), pipeline=False),
    Case("lint-changed-since-unknown-revision", Expect(2, fragment="找不到 Git 版本 `nosuch`"),
         argv=("lint", "--changed-since", "nosuch"), pipeline=False),

    # The same article twice in one account: FM014, nothing published; a yearly slug is fine.
    Case("same-folder-name-in-two-departments", Expect(1, "FM014", "content/official/school-office/2026-10-20-sports-day", 1),
         setup=_second_article("school-office", "2026-10-20-sports-day")),
    Case("same-slug-another-year-is-fine", Expect(0, published=2), setup=_second_article("publicity", "2025-10-20-sports-day")),

    # Cycles and budgets of the YAML loader (one article source).
    Case("yaml-cycle-in-front-matter", Expect(1, "ART003", "循环引用", 8), index=raw(VALID_FM + "tags: &t [*t]\n")),
    Case("yaml-anchor-twice-in-front-matter", Expect(1, "ART003", "锚点 &t 重复定义(第一次在第 8 行)", 9),
         index=raw(VALID_FM + "tags: &t [运动会]\ndigest: &t 秋季运动会\n")),
    policy_error("yaml-anchor-twice-in-policy", "school: 江城大学", "school: &s 江城大学\ngoverning_body_name: &s x",
                 "锚点 &s 重复定义"),
    Case("yaml-deep-nesting-in-front-matter", Expect(1, "ART003", "嵌套过深", 8),
         index=raw(VALID_FM + "digest: " + "[" * 2000 + "]" * 2000 + "\n")),
    Case("alias-bomb-in-front-matter", Expect(1), index=raw(VALID_FM + ALIAS_BOMB), budget=10),
    Case("alias-bomb-in-policy", Expect(2), policy=lambda text: text + "x-anchors:\n" + "".join("  " + line + "\n" for line in
                                                                                                ALIAS_BOMB.splitlines()),
         budget=10),

    # Approvals read the article the way lint and the publisher do, or fail closed; phrases are
    # matched in the text a reader sees. (The four approvals cases were strict xfails until
    # approvals learnt to fail closed, the last two until reader-visible text matching.)
    Case("approvals-control-news-needs-no-leader", Expect(0, published=1), approvals=True, approved=True),
    Case("approvals-bom-hides-category", Expect(0, published=1), index=b"\xef\xbb\xbf" + raw(NOTICE_FM).encode(),
         approvals=True),
    Case("approvals-crlf-hides-category", Expect(0, published=1), index=raw(NOTICE_FM).replace("\n", "\r\n"),
         approvals=True),
    Case("approvals-impossible-date", Expect(1, "ART003", "日期不存在", 8), index=raw(NOTICE_FM + "publish_at: 2026-02-30\n"),
         approvals=True),
    Case("approvals-deep-nesting", Expect(1, "ART003", "嵌套过深", 8),
         index=raw(NOTICE_FM + "digest: " + "[" * 2000 + "]" * 2000 + "\n"), approvals=True),
    Case("approvals-markup-splits-conditional-phrase", Expect(0, "SCH003", "招生计划", BODY_LINE, published=1),
         body="今年的招生**计划**已经公布。\n", approvals=True),
    Case("word-split-by-markup", Expect(1, "WORD001", "赌博", BODY_LINE), body="严禁赌**博**。\n"),

    # Files outside the bundle, whatever the article's own waivers say (the bundle resolver).
    Case("waived-absolute-image-path", Expect(1), body="运动会现场。\n\n![现场](/etc/hostname) <!-- wxpub-disable LINK002: 测试 -->\n"),
    Case("waived-symlink-out-of-bundle", Expect(1),
         body="运动会现场。\n\n![现场](photo.jpg) <!-- wxpub-disable LINK002: 测试 -->\n",
         setup=_symlink("photo.jpg", Path("/tmp/wxpub-hostile-outside/photo.jpg"))),
)
