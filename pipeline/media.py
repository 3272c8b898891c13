"""Media files: what they really are (sniffed from content, not the name), and GPS removal.

Pillow reads only the header to identify an image, its size and EXIF, so checking a
large photo is cheap. Videos are identified by their container signature.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

GPS_IFD = 0x8825
_PILLOW_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "BMP": "bmp", "WEBP": "webp", "TIFF": "tiff"}


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # image | video | unknown
    format: str  # jpeg, png, gif, bmp, webp, mp4, flv, f4v, or "" when unknown
    size: int  # bytes
    width: int = 0
    height: int = 0
    has_gps: bool = False
    error: str = ""  # why an image could not be read


def sniff(handle: BinaryIO) -> MediaInfo:
    """What the open file really is; `handle` comes from a bundle (its resolver), so a name
    never decides what is read."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    video = _video_format(head)
    if video:
        return MediaInfo("video", video, size)
    try:
        with Image.open(handle) as image:
            fmt = _PILLOW_FORMATS.get(image.format or "", (image.format or "").lower())
            gps = bool(image.getexif().get_ifd(GPS_IFD))
            return MediaInfo("image", fmt, size, image.width, image.height, gps)
    except UnidentifiedImageError:
        return MediaInfo("unknown", "", size)
    except (OSError, SyntaxError, ValueError, struct.error, Image.DecompressionBombError) as exc:  # truncated or corrupt files
        return MediaInfo("unknown", "", size, error=str(exc))


def _video_format(head: bytes) -> str:
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head[4:8] == b"ftyp":
        return "f4v" if head[8:11] == b"f4v" else "mp4"
    return ""


def strip_gps(path: Path) -> bool:
    """Remove the GPS block from a JPEG's EXIF in place, leaving the image data untouched.

    Only the APP1 (Exif) segment is rewritten; the compressed picture is copied byte for
    byte, so there is no re-encoding and no quality loss. Returns whether anything changed.
    """
    data = path.read_bytes()
    with Image.open(path) as image:
        if image.format != "JPEG":
            return False
        exif = image.getexif()
        if not exif.get_ifd(GPS_IFD):
            return False
        exif.get_ifd(0x8769)  # load the Exif sub-IFD so tobytes() writes it back out
        del exif[GPS_IFD]
        new_segment = exif.tobytes()
    start, end = _exif_segment(data)
    if start < 0:
        return False
    replacement = b"\xff\xe1" + struct.pack(">H", len(new_segment) + 2) + new_segment
    _write_atomically(path, data[:start] + replacement + data[end:])
    return True


def _exif_segment(data: bytes) -> tuple[int, int]:
    """(start, end) of the APP1 Exif segment in JPEG bytes, or (-1, -1)."""
    pos = 2  # after SOI
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: no more metadata segments
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xE1 and data[pos + 4:pos + 10] == b"Exif\x00\x00":
            return pos, pos + 2 + length
        pos += 2 + length
    return -1, -1


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".wxpub-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
