"""Media files: what they really are (sniffed from content, not the name), and GPS removal.

Pillow reads only the header to identify an image, its size and EXIF, so checking a
large photo is cheap. Videos are identified by their container signature.
"""

from __future__ import annotations

import os
import struct
import tempfile
import warnings
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
    too_many_pixels: bool = False  # over Pillow's decompression-bomb limit: a tiny file a phone cannot decode


# Pillow's own decompression-bomb threshold (about 89 million pixels): an image past it is
# refused however small the file, because decoding it takes gigabytes
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # judged below, as a finding
            image = Image.open(handle)
        with image:
            fmt = _PILLOW_FORMATS.get(image.format or "", (image.format or "").lower())
            bomb = image.width * image.height > MAX_PIXELS
            gps = False if bomb else bool(image.getexif().get_ifd(GPS_IFD))
            if not bomb and _truncated(handle, size, fmt):
                return MediaInfo("unknown", "", size, error=f"{fmt.upper()} 文件不完整,可能在复制或上传时被截断")
            return MediaInfo("image", fmt, size, image.width, image.height, gps, too_many_pixels=bomb)
    except Image.DecompressionBombError as exc:  # over twice the limit: Pillow will not even say the size
        return MediaInfo("image", "", size, error=str(exc), too_many_pixels=True)
    except UnidentifiedImageError:
        return MediaInfo("unknown", "", size)
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:  # truncated or corrupt files
        return MediaInfo("unknown", "", size, error=str(exc))


def _truncated(handle: BinaryIO, size: int, fmt: str) -> bool:
    """Whether a JPEG or PNG stops before its end marker. Pillow reads only the header, so a
    file cut off in the middle opens fine here and shows grey on the phone. Most files end
    with the marker itself; only when one does not (a trailer after it) is the file searched."""
    end = {"jpeg": b"\xff\xd9", "png": b"IEND\xaeB`\x82"}.get(fmt)
    if end is None:
        return False
    handle.seek(max(0, size - 64))
    tail = handle.read().rstrip(b"\x00")
    if tail.endswith(end):
        return False
    handle.seek(0)
    data = handle.read()
    if fmt == "png":
        return end not in data
    scan = _start_of_scan(data)
    return scan < 0 or data.find(end, scan) < 0


def _start_of_scan(data: bytes) -> int:
    """Offset of a JPEG's first start-of-scan marker (its compressed picture), or -1. The
    EXIF thumbnail inside APP1 has its own end marker: the search must start after it."""
    pos = 2  # after SOI
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        if data[pos + 1] == 0xDA:
            return pos
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
    return -1


def _video_format(head: bytes) -> str:
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head[4:8] == b"ftyp":
        return "f4v" if head[8:11] == b"f4v" else "mp4"
    return ""


def strip_gps(path: Path) -> bool:
    """Remove the GPS block from a JPEG's EXIF in place, leaving the image data untouched.

    Only the APP1 (Exif) segment is rewritten; the compressed picture is copied byte for
    byte, so there is no re-encoding and no quality loss. Returns whether anything changed:
    a file that is not a readable JPEG with GPS (not an image, truncated, a bomb) is left
    alone, and the linter's findings say what is wrong with it.
    """
    with path.open("rb") as handle:
        info = sniff(handle)
    if info.format != "jpeg" or not info.has_gps:
        return False
    data = path.read_bytes()
    start, end = _exif_segment(data)
    if start < 0:
        return False
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            exif.get_ifd(0x8769)  # load the Exif sub-IFD so tobytes() writes it back out
            del exif[GPS_IFD]
            new_segment = exif.tobytes()
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, KeyError):
        return False
    replacement = b"\xff\xe1" + struct.pack(">H", len(new_segment) + 2) + new_segment
    _write_atomically(path, data[:start] + replacement + data[end:])
    return True


def _exif_segment(data: bytes) -> tuple[int, int]:
    """(start, end) of the APP1 Exif segment in JPEG bytes, or (-1, -1) when there is none
    or the segment runs past the end of a truncated file."""
    pos = 2  # after SOI
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: no more metadata segments
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            break
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
