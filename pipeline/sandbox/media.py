"""Images: `media/uploadimg` (pictures inside the article body) and `material/add_material`
(permanent images, e.g. covers). Types are decided by the bytes (Pillow), not the file name.

WECHAT_API.md: uploadimg takes jpg/png < 1 MB and returns a mmbiz.qpic.cn URL, outside the
material quota; add_material type=image takes bmp/png/jpeg/gif ≤ 10 MB, type=thumb jpg
≤ 64 KB, and returns {media_id, url}; 40005 bad file type, 40009 image too big.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import sqlite3
from email.parser import BytesHeaderParser
from email.policy import HTTP
from typing import Any, NamedTuple

from PIL import Image, UnidentifiedImageError

from pipeline.sandbox.call import Call, FileAnswer, page_args, text_arg
from pipeline.sandbox.codes import ApiError

IMAGE_HOST = "http://mmbiz.qpic.cn/sandbox/"  # the local route /mmbiz/<name> serves these
UPLOADIMG_MAX = 1024 * 1024  # "< 1 MB"
IMAGE_MAX = 10 * 1024 * 1024  # "≤ 10 MB"
THUMB_MAX = 64 * 1024  # "jpg ≤ 64 KB"
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
           "GIF": ("gif", "image/gif"), "BMP": ("bmp", "image/bmp")}


class Part(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> dict[str, Part]:
    """The fields of a multipart/form-data body, by name (the last one wins)."""
    header = BytesHeaderParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1"))
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise ApiError(41005, "expected multipart/form-data")
    parts: dict[str, Part] = {}
    for section in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if section.startswith(b"--"):
            break
        head, _, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_param("filename", header="content-disposition")
        if isinstance(name, str):
            parts[name] = Part(filename if isinstance(filename, str) else "", headers.get_content_type(),
                               data.removesuffix(b"\r\n"))
    return parts


def _media(call: Call) -> Part:
    part = parse_multipart(call.request.body, call.request.content_type).get("media")
    if part is None or not part.data:
        raise ApiError(41005)
    return part


def sniff(data: bytes, allowed: tuple[str, ...]) -> str | None:
    """The Pillow format of `data` if it is one of `allowed`, else None."""
    try:
        with Image.open(io.BytesIO(data), formats=allowed) as image:
            return str(image.format)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _store_blob(call: Call, data: bytes, image_format: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    call.db.execute("INSERT OR IGNORE INTO blobs (sha256, data, mime) VALUES (?, ?, ?)",
                    (sha, data, FORMATS[image_format][1]))
    return sha


def uploadimg(call: Call) -> dict[str, Any]:
    part = _media(call)
    if len(part.data) >= UPLOADIMG_MAX:
        raise ApiError(40009, "uploadimg takes images under 1 MB")
    image_format = sniff(part.data, ("JPEG", "PNG"))
    if image_format is None:
        raise ApiError(40005, "uploadimg takes jpg and png only")
    sha = _store_blob(call, part.data, image_format)
    name = f"{sha[:32]}.{FORMATS[image_format][0]}"
    url = IMAGE_HOST + name
    call.db.execute("INSERT OR IGNORE INTO uploads (appid, name, url, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (call.appid, name, url, sha, len(part.data), call.now))
    return {"url": url}


def add_material(call: Call) -> dict[str, Any]:
    kind = call.request.query.get("type", "")
    allowed: tuple[str, ...]
    if kind == "image":
        limit, allowed, size_error = IMAGE_MAX, ("JPEG", "PNG", "GIF", "BMP"), 40009
    elif kind == "thumb":
        limit, allowed, size_error = THUMB_MAX, ("JPEG",), 40012
    else:
        raise ApiError(40004, "the sandbox keeps image and thumb materials only")
    part = _media(call)
    if len(part.data) > limit:
        raise ApiError(size_error, f"{kind} materials are at most {limit // 1024} KB")
    image_format = sniff(part.data, allowed)
    if image_format is None:
        raise ApiError(40005, f"{kind} materials are {'/'.join(allowed).lower()}")
    sha = _store_blob(call, part.data, image_format)
    media_id = secrets.token_urlsafe(32)
    # Each call is a new permanent material (and uses quota), even for the same bytes
    name = f"material/{media_id[:16]}.{FORMATS[image_format][0]}"
    url = IMAGE_HOST + name
    call.db.execute("INSERT INTO materials (media_id, appid, type, name, url, sha256, size, filename, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (media_id, call.appid, kind, name, url, sha, len(part.data), part.filename, call.now))
    return {"media_id": media_id, "url": url}


def batchget_material(call: Call) -> dict[str, Any]:
    """material/batchget_material {type, offset, count ≤ 20}: permanent materials, newest first,
    each with the file name it was uploaded under (how a crashed upload is found again)."""
    data = call.json()
    kind = data.get("type")
    if kind not in ("image", "video", "voice", "news"):
        raise ApiError(40007, "type must be image, video, voice or news")
    offset, size = page_args(data, 20)
    total = call.db.execute("SELECT COUNT(*) AS n FROM materials WHERE appid = ? AND type IN (?, ?)",
                            (call.appid, kind, "thumb" if kind == "image" else kind)).fetchone()["n"]
    rows = call.db.execute("SELECT * FROM materials WHERE appid = ? AND type IN (?, ?) "
                           "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                           (call.appid, kind, "thumb" if kind == "image" else kind, size, offset)).fetchall()
    items = [{"media_id": r["media_id"], "name": r["filename"], "update_time": int(r["created_at"]), "url": r["url"]}
             for r in rows]
    return {"total_count": int(total), "item_count": len(items), "item": items}


def get_material(call: Call) -> FileAnswer:
    """material/get_material {media_id}: for an image (or thumb) WeChat answers with the file
    itself, not JSON; an unknown media_id, or another account's, is 40007."""
    media_id = text_arg(call.json(), "media_id", missing=40007)
    row = call.db.execute("SELECT m.filename, m.name, b.data, b.mime FROM materials m JOIN blobs b ON b.sha256 = m.sha256 "
                          "WHERE m.media_id = ? AND m.appid = ?", (media_id, call.appid)).fetchone()
    if row is None:
        raise ApiError(40007, "no such permanent material")
    return FileAnswer(bytes(row["data"]), str(row["mime"]), str(row["filename"] or row["name"]))


def get_materialcount(call: Call) -> dict[str, Any]:
    counts = {row["type"]: int(row["n"]) for row in call.db.execute(
        "SELECT type, COUNT(*) AS n FROM materials WHERE appid = ? GROUP BY type", (call.appid,))}
    return {"voice_count": counts.get("voice", 0), "video_count": counts.get("video", 0),
            "image_count": counts.get("image", 0) + counts.get("thumb", 0), "news_count": 0}


def image(db: sqlite3.Connection, name: str) -> tuple[bytes, str] | None:
    """The bytes and MIME type behind a sandbox image URL's name (uploads and materials)."""
    row = db.execute(
        "SELECT b.data, b.mime FROM blobs b JOIN (SELECT sha256 FROM uploads WHERE name = ? "
        "UNION SELECT sha256 FROM materials WHERE name = ?) n ON n.sha256 = b.sha256 LIMIT 1", (name, name)).fetchone()
    return (bytes(row["data"]), str(row["mime"])) if row else None
