"""Media rules MEDIA001-MEDIA013: real formats (sniffed), sizes, dimensions, GPS and `--fix`."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import Any, Callable

import pytest
from PIL import Image

from tests.testing.fixtures import (FRONT_MATTER, SAMPLE_POLICY, jpeg_bytes, lint_json, make_repo, messages, triples,
                                    where, write_article)

Lint = Callable[..., tuple[int, list[dict[str, Any]], list[str]]]

COVER_LINE = 6
BODY_LINE = 9
LEAD = "\n学校举行秋季运动会，全校师生参加。\n\n"

GPS_IFD, MODEL = 0x8825, 0x0110


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


@pytest.fixture
def lint(capsys: pytest.CaptureFixture[str]) -> Lint:
    """This module's `lint`: (exit code, findings, what --fix changed). Never a traceback."""
    def run(repo: Path, *args: str) -> tuple[int, list[dict[str, Any]], list[str]]:
        code, data = lint_json(repo, capsys, *args)
        return code, data["findings"], data["fixed"]
    return run


def article(repo: Path, body: str = "", files: dict[str, bytes] | None = None) -> Path:
    return write_article(repo, raw=FRONT_MATTER + LEAD + body, files=files)


def policy(old: str, new: str) -> str:
    assert SAMPLE_POLICY.count(old) == 1, f"{old!r} is not in the sample policy exactly once"
    return SAMPLE_POLICY.replace(old, new)


def image_bytes(width: int, height: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 60)).save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    """Random pixels do not compress: 640×640 gives a real PNG of about 1.2 MB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def mp4_bytes(size: int, brand: bytes = b"isom") -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\0" * (size - 12)


def flv_bytes(size: int) -> bytes:
    return b"FLV\x01\x05\x00\x00\x00\x09" + b"\0" * (size - 9)


def scan_data(jpeg: bytes) -> bytes:
    """The JPEG from its start-of-scan marker (FF DA) to the end: the compressed picture.
    Found by walking the marker segments, so no FF DA inside EXIF data can fool it."""
    assert jpeg[:2] == b"\xff\xd8"
    pos = 2
    while jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:
        pos += 2 + struct.unpack(">H", jpeg[pos + 2:pos + 4])[0]
    assert jpeg[pos:pos + 2] == b"\xff\xda"
    return jpeg[pos:]


# -- MEDIA001-MEDIA004 cover -------------------------------------------------------------------------

def test_valid_cover_and_images_pass(repo: Path, lint: Lint) -> None:
    article(repo, "![跑道](track.jpg)\n\n![合影](group.png)\n\n![视频](clip.mp4)\n",
            files={"track.jpg": jpeg_bytes(600, 400), "group.png": image_bytes(300, 200, "PNG"),
                   "clip.mp4": mp4_bytes(4096)})
    code, findings, _ = lint(repo, "--strict")
    assert triples(findings, "MEDIA") == []
    assert code == 0


def test_missing_cover_file_is_media001(repo: Path, lint: Lint) -> None:
    index = article(repo)
    (index.parent / "cover.jpg").unlink()
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA001", COVER_LINE, 1)]
    assert messages(findings, "MEDIA001") == ["封面 cover.jpg 不存在;请把封面图片本身放进文章目录,并在 cover 写文件名"]


def test_cover_symlink_outside_repo_is_media001(tmp_path: Path, repo: Path, lint: Lint) -> None:
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(jpeg_bytes())
    index = article(repo)
    (index.parent / "cover.jpg").unlink()
    os.symlink(outside, index.parent / "cover.jpg")
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA001", COVER_LINE, 1)]
    assert messages(findings, "MEDIA001")[0].startswith("封面 cover.jpg 是符号链接(发布时不跟随符号链接)")


def test_cover_symlink_inside_the_bundle_is_media001_too(repo: Path, lint: Lint) -> None:
    index = article(repo, files={"photos/cover.jpg": jpeg_bytes()})
    (index.parent / "cover.jpg").unlink()
    os.symlink("photos/cover.jpg", index.parent / "cover.jpg")
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA001", COVER_LINE, 1)]


def test_cover_outside_bundle_is_media001(repo: Path, lint: Lint) -> None:
    (repo / "content" / "cover.jpg").parent.mkdir(parents=True, exist_ok=True)
    (repo / "content" / "cover.jpg").write_bytes(jpeg_bytes())
    write_article(repo, raw=FRONT_MATTER.replace("cover: cover.jpg", "cover: ../../../cover.jpg") + LEAD)
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA001", COVER_LINE, 1)]
    assert "不在文章目录中" in messages(findings, "MEDIA001")[0]


def test_png_cover_named_jpg_is_media002_and_media010(repo: Path, lint: Lint) -> None:
    article(repo, files={"cover.jpg": image_bytes(900, 500, "PNG")})
    code, findings, _ = lint(repo)
    assert code == 1
    assert sorted(triples(findings, "MEDIA")) == [("MEDIA002", COVER_LINE, 1), ("MEDIA010", COVER_LINE, 1)]
    assert messages(findings, "MEDIA002") == ["封面 cover.jpg 实际是 PNG 格式,要求 JPEG;请另存为 JPEG"]
    assert messages(findings, "MEDIA010") == ["cover.jpg 的扩展名是 .jpg,但内容是 PNG;请改正扩展名或重新导出"]
    assert next(f for f in findings if f["code"] == "MEDIA010")["severity"] == "warning"


def test_format_is_sniffed_not_taken_from_the_name(repo: Path, lint: Lint) -> None:
    # an honest PNG cover: wrong format, right extension
    write_article(repo, raw=FRONT_MATTER.replace("cover.jpg", "cover.png") + LEAD,
                  files={"cover.png": image_bytes(900, 500, "PNG")})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA002", COVER_LINE, 1)]
    # a JPEG named .png: right format, wrong extension
    write_article(repo, raw=FRONT_MATTER.replace("cover.jpg", "cover.png") + LEAD,
                  files={"cover.png": jpeg_bytes()})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA010", COVER_LINE, 1)]
    assert messages(findings, "MEDIA010") == ["cover.png 的扩展名是 .png,但内容是 JPEG;请改正扩展名或重新导出"]


def test_cover_with_wrong_dimensions_is_media003(repo: Path, lint: Lint) -> None:
    article(repo, files={"cover.jpg": jpeg_bytes(800, 500)})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA003", COVER_LINE, 1)]
    assert messages(findings, "MEDIA003") == ["封面 cover.jpg 为 800×500 像素,要求 900×500;请按此尺寸裁剪"]


def test_oversized_cover_is_media004(repo: Path, lint: Lint) -> None:
    # a real 900×500 JPEG padded past 2 MB after its end marker: still readable, too big
    article(repo, files={"cover.jpg": jpeg_bytes() + b"\0" * (2 * 1024 * 1024)})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA004", COVER_LINE, 1)]
    [text] = messages(findings, "MEDIA004")
    assert text.startswith("封面 cover.jpg 有 ") and "上限 2097152 字节" in text  # close sizes shown exactly


# -- MEDIA005, MEDIA006 body images -------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "name"), [("GIF", "anim.gif"), ("BMP", "scan.bmp"), ("WEBP", "phone.webp")])
def test_unsupported_body_image_format_is_media005(repo: Path, lint: Lint, fmt: str, name: str) -> None:
    index = article(repo, f"![图片]({name})\n", files={name: image_bytes(40, 30, fmt)})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA005", *where(index, name, after=""))]
    assert messages(findings, "MEDIA005")[0].startswith(f"图片 {name} 实际是 {fmt} 格式,微信正文图片只支持 JPEG/PNG")


def test_body_image_over_1mb_is_media006(repo: Path, lint: Lint) -> None:
    big = noisy_png(640, 640)
    assert len(big) > 1024 * 1024
    index = article(repo, "![大图](big.png)\n", files={"big.png": big})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA006", *where(index, "big.png", after=""))]
    [text] = messages(findings, "MEDIA006")
    assert text.startswith("图片 big.png 有 1.") and "上限 1.0 MB" in text and "须小于 1 MB" in text


def test_body_image_just_under_the_limit_passes(repo: Path, lint: Lint) -> None:
    small = noisy_png(500, 500)
    assert len(small) < 1048575
    article(repo, "![图](small.png)\n", files={"small.png": small})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == []


# -- MEDIA007 GPS and --fix ---------------------------------------------------------------------------

def test_gps_in_body_photo_is_media007_and_fix_removes_only_gps(repo: Path, lint: Lint) -> None:
    index = article(repo, "![现场](photo.jpg)\n", files={"photo.jpg": jpeg_bytes(640, 480, gps=True)})
    photo = index.parent / "photo.jpg"
    before = photo.read_bytes()
    with Image.open(photo) as image:
        assert image.getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS
        pixels_before = image.tobytes()

    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA007", *where(index, "photo.jpg", after=""))]
    assert messages(findings, "MEDIA007") == ["photo.jpg 的 EXIF 中含 GPS 位置信息,会泄露拍摄地点;"
                                              "运行 `wxpub lint --fix` 可在不重新压缩的情况下删除"]
    assert photo.read_bytes() == before  # lint without --fix changes nothing

    code, findings, fixed = lint(repo, "--fix")
    assert code == 0 and triples(findings, "MEDIA") == []
    assert fixed == [f"{index.parent.relative_to(repo).as_posix()}/photo.jpg: 已删除 GPS 信息"]
    after = photo.read_bytes()
    assert after != before and len(after) < len(before)
    assert scan_data(after) == scan_data(before)  # the compressed picture is byte-identical: no re-encoding
    with Image.open(photo) as image:
        exif = image.getexif()
        assert exif.get_ifd(GPS_IFD) == {} and GPS_IFD not in exif
        assert exif[MODEL] == "TestCam"  # other tags survive
        assert image.tobytes() == pixels_before

    code, findings, _ = lint(repo)
    assert (code, triples(findings, "MEDIA")) == (0, [])
    assert lint(repo, "--fix")[2] == []  # nothing left to fix


def test_gps_in_cover_is_media007_and_fixed(repo: Path, lint: Lint) -> None:
    index = article(repo, files={"cover.jpg": jpeg_bytes(gps=True)})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA007", COVER_LINE, 1)]
    code, findings, _ = lint(repo, "--fix")
    assert (code, triples(findings, "MEDIA")) == (0, [])
    with Image.open(index.parent / "cover.jpg") as image:
        assert image.getexif().get_ifd(GPS_IFD) == {}


def test_gps_in_png_is_media007_that_fix_cannot_remove(repo: Path, lint: Lint) -> None:
    index = article(repo, "![截图](shot.png)\n", files={"shot.png": jpeg_bytes(60, 40, gps=True, fmt="PNG")})
    before = (index.parent / "shot.png").read_bytes()
    code, findings, fixed = lint(repo, "--fix")
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA007", *where(index, "shot.png", after=""))]
    assert "只能处理 JPEG" in messages(findings, "MEDIA007")[0]  # no promise --fix cannot keep
    assert fixed == []
    assert (index.parent / "shot.png").read_bytes() == before


# -- MEDIA008, MEDIA009 video -----------------------------------------------------------------------

def test_video_over_policy_limit_is_media009(tmp_path: Path, lint: Lint) -> None:
    repo = make_repo(tmp_path, policies=policy("max_bytes: 20971520", "max_bytes: 1024"))
    index = article(repo, "![比赛视频](race.mp4)\n", files={"race.mp4": mp4_bytes(3000)})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA009", *where(index, "race.mp4", after=""))]
    assert messages(findings, "MEDIA009") == ["视频 race.mp4 有 2.9 KB,上限 1.0 KB;请压缩或剪短"]


def test_video_under_policy_limit_passes(tmp_path: Path, lint: Lint) -> None:
    repo = make_repo(tmp_path, policies=policy("max_bytes: 20971520", "max_bytes: 1024"))
    article(repo, "![比赛视频](race.mp4)\n", files={"race.mp4": mp4_bytes(1024)})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == []


def test_flv_not_in_policy_formats_is_media008(tmp_path: Path, lint: Lint) -> None:
    repo = make_repo(tmp_path, policies=policy("formats: [mp4, flv, f4v]", "formats: [mp4]"))
    index = article(repo, "![比赛视频](race.flv)\n", files={"race.flv": flv_bytes(2048)})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA008", *where(index, "race.flv", after=""))]
    assert messages(findings, "MEDIA008") == ["视频 race.flv 是 flv 格式,只支持 mp4"]


def test_flv_and_f4v_allowed_by_sample_policy(repo: Path, lint: Lint) -> None:
    article(repo, "![一](a.flv)\n\n![二](b.f4v)\n", files={"a.flv": flv_bytes(2048), "b.f4v": mp4_bytes(2048, b"f4v ")})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == []


def test_video_with_wrong_extension_is_media010(repo: Path, lint: Lint) -> None:
    index = article(repo, "![视频](race.mp4)\n", files={"race.mp4": flv_bytes(2048)})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA010", *where(index, "race.mp4", after=""))]
    assert "内容是 FLV" in messages(findings, "MEDIA010")[0]


# -- MEDIA012 unrecognised files ----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "detail"), [
    ("photo.jpg", "这不是图片,是一段文字。\n".encode(), ""),
    ("empty.jpg", b"", ""),
    ("broken.jpg", jpeg_bytes()[:300], "(读取出错:"),
    ("race.avi", b"RIFF\x00\x10\x00\x00AVI LIST" + b"\0" * 2000, ""),
])
def test_unrecognised_media_is_media012(repo: Path, lint: Lint, name: str, data: bytes, detail: str) -> None:
    index = article(repo, f"![文件]({name})\n", files={name: data})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA012", *where(index, name, after=""))]
    [text] = messages(findings, "MEDIA012")
    assert text.startswith(f"无法识别 {name} 的格式") and "只接受 JPEG/PNG 图片和 MP4/FLV/F4V 视频" in text
    assert detail in text


def test_text_file_as_cover_is_media012(repo: Path, lint: Lint) -> None:
    article(repo, files={"cover.jpg": b"not an image"})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == [("MEDIA012", COVER_LINE, 1)]


# -- MEDIA011 count, MEDIA013 external -------------------------------------------------------------------

def test_too_many_images_is_media011(tmp_path: Path, lint: Lint) -> None:
    repo = make_repo(tmp_path, policies=policy("max_count: 20", "max_count: 2"))
    names = ["a.jpg", "b.jpg", "c.jpg"]
    article(repo, "".join(f"![现场]({n})\n\n" for n in names), files={n: jpeg_bytes(60, 40) for n in names})
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA011", BODY_LINE, 1)]
    assert messages(findings, "MEDIA011") == ["正文有 3 张图片,超过上限 2 张;请精选图片"]


def test_images_at_the_count_limit_pass(tmp_path: Path, lint: Lint) -> None:
    repo = make_repo(tmp_path, policies=policy("max_count: 20", "max_count: 2"))
    article(repo, "![现场](a.jpg)\n\n![现场](b.jpg)\n\n![视频](c.mp4)\n",  # a video is not an image
            files={"a.jpg": jpeg_bytes(60, 40), "b.jpg": jpeg_bytes(60, 40), "c.mp4": mp4_bytes(2048)})
    _, findings, _ = lint(repo)
    assert triples(findings, "MEDIA") == []


def test_external_image_is_media013_not_link003(repo: Path, lint: Lint) -> None:
    url = "https://www.example.edu.cn/images/track.jpg"
    index = article(repo, f"![跑道]({url})\n")
    code, findings, _ = lint(repo)
    assert code == 1
    assert triples(findings, "MEDIA") == [("MEDIA013", *where(index, url, after=""))]
    assert messages(findings, "MEDIA013")[0].startswith(f"外部图片 {url} 发布后不会显示")
    assert triples(findings, "LINK") == []
