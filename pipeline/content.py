"""Articles as Markdown bundles: content/<account>/<department>/<YYYY-MM-DD-slug>/index.md.

`load_article` reads one bundle into a frozen `Article`, or explains with a `LoadProblem`
(file, line, Chinese message) why it cannot: not UTF-8, binary, too large, malformed front
matter. Nothing here judges the content against the policy; that is the linter's job.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping


from pipeline.yamlpos import KeyPath, YamlSyntaxError, YamlValueError, load_positioned

CONTENT_DIR = "content"
ARTICLE_FILE = "index.md"
MAX_MARKDOWN_BYTES = 1024 * 1024  # WeChat takes < 1 MB of HTML; a bigger source is a mistake
BUNDLE_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-[a-z0-9][a-z0-9-]*$")
_FRONT_MATTER_FENCE = "---"


@dataclass(frozen=True)
class Article:
    """One article bundle, as read from disk. Immutable; rules and renderers share it."""

    path: PurePosixPath  # repo-relative path of index.md, e.g. content/official/publicity/2026-09-01-x/index.md
    front_matter: Mapping[str, Any]  # the YAML block as plain data (read-only)
    front_matter_lines: Mapping[KeyPath, int]  # 1-based line in index.md of each key path
    body: str  # Markdown after the front matter
    body_line: int  # 1-based line in index.md where `body` starts
    root: Path = field(compare=False, repr=False)  # the repository the path is relative to

    @functools.cached_property
    def content_hash(self) -> str:
        """sha256 over index.md and every other file of the bundle (computed on first use:
        the linter never needs it, the publisher always does)."""
        return bundle_hash(self.root, self.bundle, (self.root / self.path).read_bytes())

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


def find_bundles(root: Path, paths: list[Path] | None = None) -> Iterator[PurePosixPath]:
    """Repo-relative paths of every index.md under `paths` (default: content/), sorted."""
    targets = paths or [Path(CONTENT_DIR)]
    found: set[PurePosixPath] = set()
    for target in targets:
        target = target if target.is_absolute() else root / target
        if target.is_file():
            candidates = [target] if target.name == ARTICLE_FILE else [target.parent / ARTICLE_FILE]
        else:
            candidates = list(target.rglob(ARTICLE_FILE))
        for candidate in candidates:
            if candidate.is_file():
                found.add(PurePosixPath(candidate.relative_to(root).as_posix()))
    return iter(sorted(found))


def load_article(root: Path, rel_path: PurePosixPath) -> Article | LoadProblem:
    file = root / rel_path
    size = file.stat().st_size
    if size > MAX_MARKDOWN_BYTES:  # said before reading it
        return _too_large(rel_path, size)
    return parse_article(root, rel_path, file.read_bytes())


def _too_large(rel_path: PurePosixPath, size: int) -> LoadProblem:
    return LoadProblem(rel_path, 1, 1, "ART001",
                       f"文件过大({size // 1024} KB,上限 {MAX_MARKDOWN_BYTES // 1024} KB);正文应为 Markdown 文本,图片和视频请作为单独文件放在文章目录中")


def parse_article(root: Path, rel_path: PurePosixPath, raw: bytes) -> Article | LoadProblem:
    """An article from the bytes of its index.md, wherever they were read (the working tree,
    or the forge for the approvals check)."""
    if len(raw) > MAX_MARKDOWN_BYTES:
        return _too_large(rel_path, len(raw))
    if b"\x00" in raw:
        return LoadProblem(rel_path, 1, 1, "ART001", "这是二进制文件,不是 Markdown 文本;请检查是否误把图片等文件命名为 index.md")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return LoadProblem(rel_path, line, 1, "ART001", "文件不是 UTF-8 编码;请在编辑器中以 UTF-8 重新保存(常见于 GBK 编码的 Windows 记事本文件)")
    text = text.replace("\r\n", "\n")
    split = _split_front_matter(text)
    if split is None:
        return LoadProblem(rel_path, 1, 1, "ART002", "缺少 YAML front matter;文件应以一行 --- 开始,写完字段后再以一行 --- 结束")
    yaml_text, body, body_line = split
    try:
        doc = load_positioned(yaml_text, line_offset=1)
    except YamlValueError as exc:
        return LoadProblem(rel_path, exc.line, exc.column, "ART003",
                           f"front matter 中的值无法识别({exc.message});日期须真实存在(如没有 2026-02-30),"
                           "不要使用 !! 或 ! 开头的类型标签,键不能重复;要当作文字的值请加引号")
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
        root=root,
    )


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(yaml, body, body's first line) or None when the file has no front matter."""
    if not text.startswith(_FRONT_MATTER_FENCE + "\n") and text.rstrip("\n") != _FRONT_MATTER_FENCE:
        return None
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == _FRONT_MATTER_FENCE:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return None


def bundle_hash(root: Path, bundle: PurePosixPath, markdown: bytes) -> str:
    """sha256 over the Markdown and every other regular file of the bundle, by name.

    Media are part of what gets published, so a changed photo is a changed article.
    Symlinks are hashed by their target text, never followed (they may leave the repo).
    """
    digest = hashlib.sha256()
    digest.update(b"index.md\0" + hashlib.sha256(markdown).digest())
    folder = root / bundle
    for entry in sorted(folder.rglob("*")):
        name = entry.relative_to(folder).as_posix()
        if name == ARTICLE_FILE:
            continue
        if entry.is_symlink():
            digest.update(f"{name}\0link\0".encode() + str(entry.readlink()).encode())
        elif entry.is_file():
            digest.update(name.encode() + b"\0" + _file_digest(entry))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


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
