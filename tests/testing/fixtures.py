"""Helpers that build real content repositories in temporary folders.

`make_repo` copies the sample policies.yaml and word lists into a fresh `git init`
folder; `write_article` writes a bundle that passes every rule unless told otherwise, so
each test changes exactly the one thing it is about.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

PROJECT = Path(__file__).resolve().parents[2]

VALID_FRONT_MATTER: dict[str, Any] = {
    "title": "学校举行秋季运动会",
    "author": "王芳",
    "department": "publicity",
    "category": "学校新闻",
    "cover": "cover.jpg",
    "original": True,
}
VALID_BODY = "10 月 20 日,学校在田径场举行秋季运动会,全校师生参加。\n\n## 比赛回顾\n\n同学们奋勇争先,赛出了风格。\n".replace(",", "，")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def make_repo(tmp_path: Path, *, policies: str | None = None) -> Path:
    """A git repository with the sample policy (or `policies` text) and no articles yet."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(PROJECT / "policies", root / "policies")
    shutil.copytree(PROJECT / "themes", root / "themes")
    (root / "policies.yaml").write_text(policies if policies is not None else
                                        (PROJECT / "policies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "user.name", "test")
    return root


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def jpeg_bytes(width: int = 900, height: int = 500, *, color: tuple[int, int, int] = (40, 90, 160),
               gps: bool = False, fmt: str = "JPEG") -> bytes:
    """A real image; with gps=True its EXIF carries a GPS block (and a camera model)."""
    image = Image.new("RGB", (width, height), color)
    buffer = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if gps:
        exif = Image.Exif()
        exif[0x0110] = "TestCam"  # Model, to prove other tags survive GPS removal
        exif[0x8825] = {1: "N", 2: (30.0, 35.0, 10.0), 3: "E", 4: (114.0, 18.0, 0.0)}
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, fmt, quality=70, **kwargs)
    return buffer.getvalue()


def write_article(root: Path, *, account: str = "official", department: str = "publicity",
                  slug: str = "2026-10-20-sports-day", front_matter: dict[str, Any] | None = None,
                  drop: tuple[str, ...] = (), body: str = VALID_BODY, files: dict[str, bytes] | None = None,
                  raw: str | None = None) -> Path:
    """Write a bundle and return its index.md. `front_matter` entries override the valid defaults,
    `drop` removes keys, `files` adds media (a valid cover.jpg is always written unless overridden),
    `raw` replaces the whole index.md text."""
    bundle = root / "content" / account / department / slug
    bundle.mkdir(parents=True, exist_ok=True)
    fm = {**VALID_FRONT_MATTER, "department": department, **(front_matter or {})}
    for key in drop:
        fm.pop(key, None)
    all_files = {"cover.jpg": jpeg_bytes(), **(files or {})}
    for name, data in all_files.items():
        target = bundle / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    text = raw if raw is not None else "---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False) + "---\n\n" + body
    index = bundle / "index.md"
    index.write_text(text, encoding="utf-8")
    return index
