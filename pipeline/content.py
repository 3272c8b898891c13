"""Articles as Markdown bundles: content/<account>/<department>/<YYYY-MM-DD-slug>/index.md.

The one article source of wxpub. `parse_article` is the only place where bytes become an
`Article` (front matter, body, the line of every key), whatever they came from: the working
tree and a commit's tree through `load_article` (pipeline/snapshot.py), the forge's contents
API directly. Lint, render, preview, publish and approvals therefore read every article the
same way. When bytes cannot be read as an article, a `LoadProblem` says why (file, line,
Chinese message); nothing here judges content against the policy, that is the linter's job.

Decoding, in this order: a leading UTF-8 BOM is dropped; CRLF and a lone CR become LF (the
line endings CommonMark knows, so the body's lines are Markdown's lines); the front matter
runs from a first line `---` to the next line that is `---` (trailing whitespace allowed),
which YAML itself cannot have inside a value. U+2028, U+2029 and U+0085 are line breaks to
YAML but not to Markdown, Git or a reviewer reading the diff, so in the front matter they are
an error (a key could hide on what looks like another key's line); in the body they are
characters.

An article's other files (images, videos) are reachable only through its `Bundle`, which
refuses `..`, absolute paths, symlinks and anything but regular files, whatever the
article's suppressions say. The content hash covers exactly the files the bundle serves.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, BinaryIO, Iterable, Iterator, Mapping

from pipeline import textcheck
from pipeline.errors import UserError
from pipeline.snapshot import (
    IGNORED, MISSING, NOT_A_FILE, OUTSIDE, SYMLINK, NoFiles, Refused, Snapshot, left_out_of_commits,
)
from pipeline.yamlpos import KeyPath, YamlBudgetError, YamlSyntaxError, YamlValueError, load_positioned

CONTENT_DIR = "content"
ARTICLE_FILE = "index.md"
MAX_MARKDOWN_BYTES = 1024 * 1024  # WeChat takes < 1 MB of HTML; a bigger source is a mistake
MAX_FRONT_MATTER_VALUES = 10_000  # a real front matter has about 20
BUNDLE_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-[a-z0-9][a-z0-9-]*$")
_FRONT_MATTER_FENCE = "---"
_YAML_ONLY_BREAKS = re.compile("[\u2028\u2029\u0085]")

# What each refusal means, for messages: "<file> <reason>"
REFUSAL_REASONS = {OUTSIDE: "指向文章目录之外", SYMLINK: "是符号链接", MISSING: "不存在", NOT_A_FILE: "不是文件",
                   IGNORED: "被 Git 忽略(.gitignore),不会进入提交"}


@dataclass(frozen=True)
class Resolved:
    """Where a name written in an article leads inside its bundle."""

    name: PurePosixPath | None  # relative to the bundle folder; None when refused
    problem: str  # "" | outside | symlink | missing | not-a-file
    shown: str  # the name as written, for messages


class BundleFileRefused(UserError):
    """Reading a bundle file the resolver refuses: never a traceback, never a read outside."""


@dataclass(frozen=True)
class Bundle:
    """The files of one article folder, served only through `resolve`."""

    snapshot: Snapshot
    folder: PurePosixPath  # repository-relative, e.g. content/official/publicity/2026-09-01-x

    def resolve(self, name: str) -> Resolved:
        """`name` (decoded: see markdown.bundle_name) as a file of this bundle, or why not."""
        relative = _inside(name)
        if relative is None:
            return Resolved(None, OUTSIDE, name)
        if not relative.parts:
            return Resolved(None, NOT_A_FILE, name)
        try:
            self.snapshot.check(self.folder / relative)
        except Refused as refused:
            return Resolved(None, refused.problem, name)
        return Resolved(relative, "", name)

    def open(self, name: str) -> BinaryIO:
        """The file `resolve` would serve, opened in the same walk that checks it (resolving
        first and then opening walked the folders twice, and a third time for the check)."""
        relative = _inside(name)
        try:
            if relative is None:
                raise Refused(self.folder, OUTSIDE)
            if not relative.parts:
                raise Refused(self.folder, NOT_A_FILE)
            return self.snapshot.open(self.folder / relative)
        except Refused as refused:
            raise BundleFileRefused(f"文章引用的文件 {name} {REFUSAL_REASONS[refused.problem]},不会被读取或发布",
                                    where=str(self.folder),
                                    hint="把文件本身(不是符号链接)放进文章目录,并用不含 .. 的相对路径引用") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def local_path(self, name: PurePosixPath) -> Path | None:
        """The file on disk (working tree only), for `lint --fix`."""
        return self.snapshot.local_path(self.folder / name)

    def files(self) -> list[PurePosixPath]:
        """Every file the bundle serves, relative to its folder, in a stable order."""
        return self.snapshot.files_under(self.folder)

    def content_hash(self, index_digest: bytes) -> str:
        """sha256 over index.md and every other file the bundle serves, by name.

        Media are part of what gets published, so a changed photo is a changed article; a
        symlink is not served, so it is not part of the article either."""
        digest = hashlib.sha256()
        digest.update(b"index.md\0" + index_digest)
        for name, file_digest in self.media_digests().items():
            # surrogateescape: the name's bytes as stored, also when they are not UTF-8 (a GBK file
            # name from a Windows zip): hashing must not stop the publisher for a file nobody shows
            digest.update(str(name).encode("utf-8", "surrogateescape") + b"\0" + file_digest)
        return digest.hexdigest()

    def media_digests(self) -> dict[PurePosixPath, bytes]:
        """sha256 of every file the bundle serves but index.md, by name, in a stable order."""
        digests: dict[PurePosixPath, bytes] = {}
        for name in self.files():
            if name == PurePosixPath(ARTICLE_FILE):
                continue
            file_digest = hashlib.sha256()
            with self.snapshot.open(self.folder / name) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    file_digest.update(chunk)
            digests[name] = file_digest.digest()
        return digests


def _inside(name: str) -> PurePosixPath | None:
    """`name` as a path below the bundle folder, or None when it could leave it."""
    if "\0" in name or name.startswith("/"):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None  # even a/../b: one rule a reviewer can check by eye
    return PurePosixPath(*parts)


@dataclass(frozen=True)
class Article:
    """One article bundle, as read from a snapshot. Immutable; rules and renderers share it.
    Two Articles are equal when they read the same, wherever they were read from."""

    path: PurePosixPath  # repo-relative path of index.md, e.g. content/official/publicity/2026-09-01-x/index.md
    front_matter: Mapping[str, Any]  # the YAML block as plain data (read-only)
    front_matter_lines: Mapping[KeyPath, int]  # 1-based line in index.md of each key path
    body: str  # Markdown after the front matter, with LF line endings
    body_line: int  # 1-based line in index.md where `body` starts
    files: Bundle = field(compare=False, repr=False)  # the bundle's other files, through the resolver
    index_digest: bytes = field(compare=False, repr=False, default=b"")  # sha256 of index.md's bytes

    @functools.cached_property
    def content_hash(self) -> str:
        """What the ledger records (computed on first use: the linter never needs it, the
        publisher always does)."""
        return self.files.content_hash(self.index_digest)

    @property
    def bundle(self) -> PurePosixPath:
        return self.path.parent

    @property
    def account(self) -> str:
        return self.path.parts[1] if len(self.path.parts) > 1 else ""

    @property
    def department_dir(self) -> str:
        return self.path.parts[2] if len(self.path.parts) > 2 else ""

    def line_of(self, key: str) -> int:
        """Line of a front matter key, or the first front matter line when it is absent."""
        return self.front_matter_lines.get((key,), self.front_matter_lines.get((), 1))


@dataclass(frozen=True)
class LoadProblem:
    """Why a bundle could not be read as an article."""

    path: PurePosixPath
    line: int
    column: int
    code: str
    message: str
    # where it was read from: lint still asks it about the folder (ART005 explains why a
    # checkout's index.md may not read where the commit's does)
    snapshot: Snapshot = field(default=NoFiles(), compare=False, repr=False)


def find_bundles(root: Path, paths: list[Path] | None = None) -> Iterator[PurePosixPath]:
    """Repo-relative paths of every index.md under `paths` (default: content/), sorted; not
    those Git leaves out of a commit (an untracked folder that .gitignore or info/exclude
    names: a local draft kept out of Git is not an article of this checkout)."""
    targets = paths or [Path(CONTENT_DIR)]
    found: set[PurePosixPath] = set()
    for target in targets:
        target = target if target.is_absolute() else root / target
        if target.is_file():
            candidates = [target] if target.name == ARTICLE_FILE else [_article_of(root, target)]
        else:
            candidates = list(target.rglob(ARTICLE_FILE))
        for candidate in candidates:
            relative = PurePosixPath(candidate.relative_to(root).as_posix())
            # a linked index.md is reported, not skipped
            if (candidate.is_file() or candidate.is_symlink()) and not left_out_of_commits(root, relative):
                found.add(relative)
    return iter(sorted(found))


def bundle_index(rel_path: PurePosixPath) -> PurePosixPath | None:
    """The index.md of the bundle a repository file belongs to, by the layout
    content/<account>/<department>/<bundle>/...: an image in a bundle, or in a folder inside
    it, belongs to that bundle's article. None for a file outside any bundle."""
    parts = rel_path.parts
    if len(parts) >= 5 and parts[0] == CONTENT_DIR:
        return PurePosixPath(*parts[:4]) / ARTICLE_FILE
    return None


def _article_of(root: Path, file: Path) -> Path:
    """The article a file other than index.md is part of (pre-commit passes changed images)."""
    try:
        index = bundle_index(PurePosixPath(file.relative_to(root).as_posix()))
    except ValueError:
        index = None
    return root / index if index is not None else file.parent / ARTICLE_FILE


def load_article(snapshot: Snapshot, rel_path: PurePosixPath) -> Article | LoadProblem:
    """The article whose index.md is at `rel_path` in `snapshot` (working tree or commit)."""
    loaded = _load(snapshot, rel_path)
    return replace(loaded, snapshot=snapshot) if isinstance(loaded, LoadProblem) else loaded


def _load(snapshot: Snapshot, rel_path: PurePosixPath) -> Article | LoadProblem:
    if not _utf8_name(rel_path):
        # Git and the file system allow any bytes in a name; the ledger, JSON output and WeChat
        # take text: such a folder would stop the publisher at its first ledger write
        return LoadProblem(rel_path, 1, 1, "ART001", "文章的目录名或文件名不是 UTF-8 编码的文字;"
                                                      "请把目录改名为 YYYY-MM-DD-英文短名(只用小写字母、数字和连字符)")
    try:
        handle = snapshot.open(rel_path)
    except Refused as refused:
        if refused.problem == SYMLINK:
            return LoadProblem(rel_path, 1, 1, "ART004", "index.md 或其所在目录是符号链接;wxpub 不跟随符号链接,"
                                                          "请把文章文件本身放进仓库")
        return LoadProblem(rel_path, 1, 1, "ART001", f"无法读取 index.md({REFUSAL_REASONS[refused.problem]})")
    with handle:
        size = handle.seek(0, 2)
        if size > MAX_MARKDOWN_BYTES:
            return _too_large(rel_path, size)
        handle.seek(0)
        raw = handle.read()
    return parse_article(rel_path, raw, snapshot)


def parse_article(rel_path: PurePosixPath, raw: bytes, snapshot: Snapshot = NoFiles()) -> Article | LoadProblem:
    """Bytes of an index.md as an Article; its bundle's files come from `snapshot` (none for
    bytes read from the forge, where only the front matter matters)."""
    if len(raw) > MAX_MARKDOWN_BYTES:
        return _too_large(rel_path, len(raw))
    if b"\x00" in raw:
        return LoadProblem(rel_path, 1, 1, "ART001", "这是二进制文件,不是 Markdown 文本;请检查是否误把图片等文件命名为 index.md")
    text = textcheck.decode(raw)
    if isinstance(text, textcheck.NotUtf8):
        # the line as Markdown counts them (a lone CR ends one too), like every other finding
        line = normalize_newlines(raw[: text.offset].decode("utf-8", errors="replace")).count("\n") + 1
        return LoadProblem(rel_path, line, 1, "ART001", f"文件不是 UTF-8 编码(第 {text.offset} 字节 0x{text.byte:02X});"
                           "请在编辑器中以 UTF-8 重新保存(常见于 GBK 编码的 Windows 记事本文件)")
    split = _split_front_matter(normalize_newlines(text))
    if split is None:
        return LoadProblem(rel_path, 1, 1, "ART002", "缺少 YAML front matter;文件应以一行 --- 开始,写完字段后再以一行 --- 结束")
    yaml_text, body, body_line = split
    hidden = _YAML_ONLY_BREAKS.search(yaml_text)
    if hidden:
        line = yaml_text.count("\n", 0, hidden.start()) + 2
        return LoadProblem(rel_path, line, hidden.start() - yaml_text.rfind("\n", 0, hidden.start()), "ART003",
                           f"front matter 中有不可见的换行符 U+{ord(hidden.group()):04X}(YAML 把它当作换行,"
                           "而编辑器和代码评审中看不出来);请删除它,需要换行时直接回车")
    try:
        doc = load_positioned(yaml_text, line_offset=1, max_nodes=MAX_FRONT_MATTER_VALUES)
    except YamlBudgetError as exc:
        return LoadProblem(rel_path, exc.line, exc.column, "ART003",
                           f"front matter 超出限制({exc.message});front matter 只需简单的“键: 值”,"
                           "不要用别名(*)重复引用大段内容,也不要层层嵌套")
    except YamlValueError as exc:
        if "请" in exc.message:  # the loader said exactly what to do (a repeated key, a merge key...)
            return LoadProblem(rel_path, exc.line, exc.column, "ART003", f"front matter 有误:{exc.message}")
        return LoadProblem(rel_path, exc.line, exc.column, "ART003",
                           f"front matter 中的值无法识别({exc.message});日期须真实存在(如没有 2026-02-30),"
                           "不要使用 !! 或 ! 开头的类型标签;要当作文字的值请加引号")
    except YamlSyntaxError as exc:
        return LoadProblem(rel_path, exc.line, exc.column, "ART003", f"front matter 的 YAML 语法错误:{exc.message};检查缩进、冒号后的空格和引号")
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        return LoadProblem(rel_path, 2, 1, "ART003", "front matter 应为“键: 值”的映射,例如 title: 标题")
    return Article(
        path=rel_path,
        front_matter=MappingProxyType(data),
        front_matter_lines=doc.lines,
        body=body,
        body_line=body_line,
        files=Bundle(snapshot, rel_path.parent),
        index_digest=hashlib.sha256(raw).digest(),
    )


def _utf8_name(path: PurePosixPath) -> bool:
    """Whether a path read from disk or Git is text (a byte that is not UTF-8 arrives as a lone
    surrogate, which nothing can write out again)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR as LF: the line endings CommonMark knows, and nothing else."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_large(rel_path: PurePosixPath, size: int) -> LoadProblem:
    return LoadProblem(rel_path, 1, 1, "ART001",
                       f"文件过大({size // 1024} KB,上限 {MAX_MARKDOWN_BYTES // 1024} KB);正文应为 Markdown 文本,图片和视频请作为单独文件放在文章目录中")


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(yaml, body, body's first line) or None when the file has no front matter."""
    lines = text.split("\n")
    if lines[0].rstrip() != _FRONT_MATTER_FENCE:
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == _FRONT_MATTER_FENCE:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return None


def same_names(paths: Iterable[PurePosixPath]) -> dict[PurePosixPath, tuple[PurePosixPath, ...]]:
    """Each article whose folder name (date and slug) another article of the same account
    also has, with those others. Two such folders are one article written twice (a copy
    into another department's folder): both would be published (FM014, and the publisher)."""
    groups: dict[tuple[str, str], list[PurePosixPath]] = {}
    for path in paths:
        parts = path.parts
        if len(parts) == 5:  # content/<account>/<department>/<name>/index.md
            groups.setdefault((parts[1], parts[3]), []).append(path)
    return {path: tuple(other for other in group if other != path)
            for group in groups.values() if len(group) > 1 for path in group}
