"""Cover, images and videos (R10, R20): real type, size, dimensions, GPS in EXIF."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator

from pipeline import media
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.policies import MediaLimits

E = Severity.ERROR
INFO = (
    RuleInfo("MEDIA001", "封面文件缺失或不在文章目录中", E, "R10"),
    RuleInfo("MEDIA002", "封面格式不符合要求", E, "R10"),
    RuleInfo("MEDIA003", "封面尺寸不符合要求", E, "R10"),
    RuleInfo("MEDIA004", "封面文件过大", E),
    RuleInfo("MEDIA005", "正文图片格式不受支持", E, "R10"),
    RuleInfo("MEDIA006", "正文图片文件过大", E),
    RuleInfo("MEDIA007", "照片含 GPS 位置信息", E, "R7"),
    RuleInfo("MEDIA008", "视频格式不受支持", E, "R10"),
    RuleInfo("MEDIA009", "视频文件过大", E, "R10"),
    RuleInfo("MEDIA010", "文件扩展名与实际格式不符", Severity.WARNING, "R20"),
    RuleInfo("MEDIA011", "正文图片数量过多", E),
    RuleInfo("MEDIA012", "无法识别的媒体文件", E, "R20"),
    RuleInfo("MEDIA013", "外部图片不会显示", E),
    RuleInfo("MEDIA014", "图片像素数过多(疑似解压炸弹)", E, "R20"),
)

_EXTENSIONS = {"jpeg": {".jpg", ".jpeg"}, "png": {".png"}, "gif": {".gif"}, "bmp": {".bmp"}, "webp": {".webp"},
               "mp4": {".mp4", ".m4v"}, "flv": {".flv"}, "f4v": {".f4v"}}


def _sizes(size: int, limit: int) -> str:
    """'有 2.3 MB,上限 2.0 MB', both in one unit; in bytes when rounding would show them equal."""
    unit, scale = ("MB", 1024 * 1024) if max(size, limit) >= 1024 * 1024 else ("KB", 1024)
    shown, cap = f"{size / scale:.1f} {unit}", f"{limit / scale:.1f} {unit}"
    return f"有 {shown},上限 {cap}" if shown != cap else f"有 {size} 字节,上限 {limit} 字节"


def check(doc: Document) -> Iterator[Finding]:
    sniffed: dict[PurePosixPath, media.MediaInfo] = {}  # once per file, however often the article shows it
    yield from _cover(doc, sniffed)
    images = 0
    for ref in doc.references:
        if not ref.is_image:
            continue
        if ref.is_external:
            yield doc.finding("MEDIA013", ref.line, ref.column, f"外部图片 {ref.target} 发布后不会显示(微信只显示上传过的图片);"
                              "请下载后放入文章目录并用相对路径引用")
            continue
        resolved = doc.resolve(ref.target)
        if resolved.name is None:
            continue  # LINK001/LINK002 already say why
        info = _sniff(doc, resolved.name, sniffed)
        images += info.kind == "image"
        yield from _body_media(doc, info, resolved.name, resolved.shown, ref.line, ref.column)
    limit = doc.policies.images.max_count
    if limit is not None and images > limit:
        yield doc.finding("MEDIA011", doc.article.body_line, 1, f"正文有 {images} 张图片,超过上限 {limit} 张;请精选图片")


def _cover(doc: Document, sniffed: dict[PurePosixPath, media.MediaInfo]) -> Iterator[Finding]:
    name = doc.article.front_matter.get("cover")
    if not isinstance(name, str) or not name:
        return  # FM001/FM002 report a missing or mistyped field
    line = doc.article.line_of("cover")
    resolved = doc.article.files.resolve(name)  # written as is in the front matter: no percent-decoding
    if resolved.name is None:
        why = {"missing": "不存在", "not-a-file": "不是文件", "symlink": "是符号链接(发布时不跟随符号链接)"}.get(
            resolved.problem, "不在文章目录中")
        yield doc.finding("MEDIA001", line, 1, f"封面 {name} {why};请把封面图片本身放进文章目录,并在 cover 写文件名",
                          binding=True)  # the publisher cannot send an article without its cover
        return
    limits = doc.policies.cover
    info = _sniff(doc, resolved.name, sniffed)  # the body often shows the cover too: read once
    yield from _identity(doc, info, resolved.name, name, line, 1)
    if info.kind != "image" or info.too_many_pixels:
        return
    if info.format not in limits.formats:
        yield doc.finding("MEDIA002", line, 1, f"封面 {name} 实际是 {info.format.upper()} 格式,要求 "
                          f"{'/'.join(f.upper() for f in limits.formats)};请另存为 JPEG")
    if limits.width and limits.height and (info.width, info.height) != (limits.width, limits.height):
        yield doc.finding("MEDIA003", line, 1, f"封面 {name} 为 {info.width}×{info.height} 像素,要求 "
                          f"{limits.width}×{limits.height};请按此尺寸裁剪")
    if info.size > limits.max_bytes:
        yield doc.finding("MEDIA004", line, 1, f"封面 {name} {_sizes(info.size, limits.max_bytes)};请压缩后再提交")
    if info.has_gps:
        yield _gps(doc, info, name, line, 1)


def _sniff(doc: Document, name: PurePosixPath, sniffed: dict[PurePosixPath, media.MediaInfo]) -> media.MediaInfo:
    if name not in sniffed:
        with doc.article.files.open(str(name)) as handle:
            sniffed[name] = media.sniff(handle)
    return sniffed[name]


def _body_media(doc: Document, info: media.MediaInfo, path: PurePosixPath, name: str, line: int,
                column: int) -> Iterator[Finding]:
    yield from _identity(doc, info, path, name, line, column)
    if info.kind == "video":
        yield from _video(doc, info, name, line, column, doc.policies.video)
        return
    if info.kind != "image" or info.too_many_pixels:
        return
    limits = doc.policies.images
    if info.format not in limits.formats:
        yield doc.finding("MEDIA005", line, column, f"图片 {name} 实际是 {info.format.upper()} 格式,微信正文图片只支持 "
                          f"{'/'.join(f.upper() for f in limits.formats)};请另存为 JPEG")
    if info.size > limits.max_bytes:
        yield doc.finding("MEDIA006", line, column, f"图片 {name} {_sizes(info.size, limits.max_bytes)}"
                          "(微信正文图片须小于 1 MB);请压缩或缩小尺寸")
    if info.has_gps:
        yield _gps(doc, info, name, line, column)


def _video(doc: Document, info: media.MediaInfo, name: str, line: int, column: int, limits: MediaLimits) -> Iterator[Finding]:
    if info.format not in limits.formats:
        yield doc.finding("MEDIA008", line, column, f"视频 {name} 是 {info.format} 格式,只支持 {'/'.join(limits.formats)}")
    if info.size > limits.max_bytes:
        yield doc.finding("MEDIA009", line, column, f"视频 {name} {_sizes(info.size, limits.max_bytes)};请压缩或剪短")


def _identity(doc: Document, info: media.MediaInfo, path: PurePosixPath, name: str, line: int,
              column: int) -> Iterator[Finding]:
    if info.kind == "unknown":
        detail = f"(读取出错:{info.error})" if info.error else ""
        yield doc.finding("MEDIA012", line, column, f"无法识别 {name} 的格式{detail};只接受 JPEG/PNG 图片和 "
                          "MP4/FLV/F4V 视频,文件可能已损坏或扩展名有误")
        return
    if info.too_many_pixels:
        size = f"{info.width}×{info.height} 像素" if info.width else "像素数远超上限"
        yield doc.finding("MEDIA014", line, column, f"图片 {name} 为 {size},超过 {media.MAX_PIXELS // 1_000_000} 百万像素的上限"
                          "(文件虽小,解码却要占用数 GB 内存,疑似“解压炸弹”);请缩小到手机可显示的尺寸(如宽 1080 像素)后重新导出")
        return
    if path.suffix.lower() not in _EXTENSIONS.get(info.format, {path.suffix.lower()}):
        yield doc.finding("MEDIA010", line, column, f"{name} 的扩展名是 {path.suffix},但内容是 {info.format.upper()};"
                          "请改正扩展名或重新导出")


def _gps(doc: Document, info: media.MediaInfo, name: str, line: int, column: int) -> Finding:
    # --fix rewrites only a JPEG's Exif segment (media.strip_gps); other formats need an editor
    how = ("运行 `wxpub lint --fix` 可在不重新压缩的情况下删除" if info.format == "jpeg"
           else "请用图片工具去除位置信息后重新导出(`wxpub lint --fix` 只能处理 JPEG)")
    return doc.finding("MEDIA007", line, column, f"{name} 的 EXIF 中含 GPS 位置信息,会泄露拍摄地点;{how}")


def fix(doc: Document) -> Iterator[str]:
    """Strip GPS from the cover and body images of this article; yields what changed."""
    cover = doc.article.front_matter.get("cover")
    names = ([doc.article.files.resolve(cover)] if isinstance(cover, str) else []) + [
        doc.resolve(r.target) for r in doc.references if r.is_image and not r.is_external]
    seen: set[PurePosixPath] = set()
    for resolved in names:
        if resolved.name is None or resolved.name in seen:
            continue
        seen.add(resolved.name)
        local = doc.article.files.local_path(resolved.name)
        if local is not None and media.strip_gps(local):
            yield f"{doc.article.bundle}/{resolved.shown}: 已删除 GPS 信息"
