#!/usr/bin/env python3
"""Draw the sample images of the 江城大学 content (covers and body pictures).

Every picture is a simple scene painted with Pillow's ImageDraw: gradients, shapes, no
text and no photographs, so the files are small, free of EXIF/GPS and reproducible.
Each file has its own fixed seed, so running the script twice gives identical bytes
(for one Pillow/libjpeg version).

    python tools/make_sample_images.py            # write every image under content/
    python tools/make_sample_images.py --check    # only report which files would change

Covers are 900×500 JPEG (policies.yaml content.cover); body pictures are JPEG at most
1200 px wide and well under 150 KB.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
from pathlib import Path
from typing import Callable

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
COVER_SIZE = (900, 500)
QUALITY = 76

RGB = tuple[int, int, int]


# --------------------------------------------------------------------------- helpers

def lerp(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    w, h = size
    column = Image.new("RGB", (1, h))
    for y in range(h):
        column.putpixel((0, y), lerp(top, bottom, y / max(h - 1, 1)))
    return column.resize((w, h))


def shade(color: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, round(c * factor))) for c in color)  # type: ignore[return-value]


def tree(d: ImageDraw.ImageDraw, x: int, ground: int, height: int, leaf: RGB) -> None:
    trunk = max(3, height // 12)
    d.rectangle([x - trunk // 2, ground - height // 2, x + trunk // 2, ground], fill=(110, 80, 55))
    r = height // 3
    for dx, dy in ((0, -height + r), (-r // 2, -height // 2 - r // 4), (r // 2, -height // 2 - r // 4)):
        d.ellipse([x + dx - r, ground + dy - r, x + dx + r, ground + dy + r], fill=leaf)


def person(d: ImageDraw.ImageDraw, x: int, y: int, scale: float, shirt: RGB, skin: RGB = (238, 205, 175)) -> None:
    """A simple standing figure whose feet are at (x, y)."""
    body_h = 38 * scale
    head_r = 9 * scale
    d.rounded_rectangle([x - 11 * scale, y - body_h, x + 11 * scale, y - 8 * scale], radius=int(6 * scale), fill=shirt)
    d.rectangle([x - 8 * scale, y - 10 * scale, x - 2 * scale, y], fill=(60, 60, 80))
    d.rectangle([x + 2 * scale, y - 10 * scale, x + 8 * scale, y], fill=(60, 60, 80))
    d.ellipse([x - head_r, y - body_h - 2 * head_r, x + head_r, y - body_h], fill=skin)
    d.chord([x - head_r, y - body_h - 2 * head_r - 1, x + head_r, y - body_h - 4 * scale], 180, 360, fill=(45, 35, 30))


def building(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], wall: RGB, window: RGB, rng: random.Random,
             roof: RGB | None = None) -> None:
    x0, y0, x1, y1 = box
    d.rectangle(box, fill=wall)
    d.rectangle([x0, y0, x1, y0 + 6], fill=shade(wall, 0.8))
    if roof:
        d.polygon([(x0 - 8, y0), ((x0 + x1) // 2, y0 - (x1 - x0) // 4), (x1 + 8, y0)], fill=roof)
    cols = max(1, (x1 - x0 - 10) // 22)
    rows = max(1, (y1 - y0 - 30) // 26)
    for r in range(rows):
        for c in range(cols):
            wx = x0 + 10 + c * 22
            wy = y0 + 16 + r * 26
            lit = rng.random() < 0.35
            d.rectangle([wx, wy, wx + 12, wy + 14], fill=lerp(window, (255, 236, 170), 0.7) if lit else window)


def mask_and(a: Image.Image, b: Image.Image) -> Image.Image:
    """Pixel-wise minimum of two masks: where both are set."""
    return ImageChops.darker(a, b)


def soften(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.SMOOTH)


# --------------------------------------------------------------------------- scenes
# Each scene takes (size, rng) and returns an RGB image.

def scene_ceremony(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A gymnasium stage with a red backdrop, a podium and rows of students."""
    w, h = size
    img = vertical_gradient(size, (38, 44, 78), (92, 80, 110))
    d = ImageDraw.Draw(img)
    stage_top, stage_floor = int(h * 0.12), int(h * 0.55)
    d.rectangle([int(w * 0.12), stage_top, int(w * 0.88), stage_floor], fill=(170, 28, 36))
    for i in range(12):  # curtain folds
        x = int(w * 0.12) + i * (w * 0.76) / 12
        d.line([(x, stage_top), (x, stage_floor)], fill=(140, 20, 30), width=3)
    d.rectangle([int(w * 0.08), stage_top - 10, int(w * 0.92), stage_top + 14], fill=(120, 16, 24))
    d.rectangle([int(w * 0.05), stage_floor, int(w * 0.95), stage_floor + 22], fill=(120, 90, 60))
    d.ellipse([w // 2 - 46, stage_top + 30, w // 2 + 46, stage_top + 122], fill=(240, 200, 70))  # school emblem
    d.ellipse([w // 2 - 30, stage_top + 46, w // 2 + 30, stage_top + 106], fill=(190, 40, 40))
    d.polygon([(w // 2 - 40, stage_floor), (w // 2 + 40, stage_floor), (w // 2 + 30, stage_floor - 60),
               (w // 2 - 30, stage_floor - 60)], fill=(150, 105, 60))
    for x in range(int(w * 0.2), int(w * 0.82), int(w * 0.12)):  # flowers on the stage edge
        for k in range(3):
            d.ellipse([x + k * 10, stage_floor - 12, x + k * 10 + 14, stage_floor + 2],
                      fill=rng.choice([(250, 200, 60), (240, 120, 80), (250, 240, 230)]))
    seat_top = stage_floor + 40
    row = 0
    for y in range(seat_top, h + 30, 30):
        scale = 0.8 + row * 0.12
        step = int(34 * scale)
        offset = (row % 2) * step // 2
        for x in range(-offset, w + step, step):
            shirt = (40 + rng.randint(0, 30), 80 + rng.randint(0, 40), 160 + rng.randint(0, 40))
            person(d, x, y + int(30 * scale), scale, shirt)
        row += 1
    return soften(img)


def scene_track(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A stadium: red running track around a green field, stands and a sunny sky."""
    w, h = size
    img = vertical_gradient(size, (120, 180, 235), (205, 230, 250))
    d = ImageDraw.Draw(img)
    d.ellipse([w - 170, 30, w - 90, 110], fill=(255, 235, 150))
    stand = int(h * 0.34)
    d.rectangle([0, stand - 60, w, stand], fill=(150, 160, 175))
    for i, y in enumerate(range(stand - 56, stand, 11)):
        for x in range(4 + (i % 2) * 6, w, 12):
            d.rectangle([x, y, x + 6, y + 6], fill=rng.choice([(220, 60, 60), (250, 210, 70), (70, 120, 200), (240, 240, 240)]))
    d.rectangle([0, stand, w, h], fill=(70, 150, 80))
    cx, cy = w // 2, int(h * 0.6)
    fx, fy = w * 0.5, h * 0.22  # the grass field's radii
    for lane in range(8, -1, -1):
        rx, ry = fx + lane * 14, fy + lane * 9
        d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=(200, 70, 55), outline=(245, 235, 230), width=2)
    d.ellipse([cx - fx, cy - fy, cx + fx, cy + fy], fill=(85, 170, 90), outline=(245, 245, 245), width=3)
    stripes = Image.new("RGB", size, (95, 180, 100))  # mowing stripes, kept inside the field
    mask = Image.new("L", size, 0)
    md = ImageDraw.Draw(mask)
    for i in range(-9, 10, 2):
        md.rectangle([cx + i * 50 - 9, 0, cx + i * 50 + 9, h], fill=255)
    field = Image.new("L", size, 0)
    ImageDraw.Draw(field).ellipse([cx - fx + 4, cy - fy + 4, cx + fx - 4, cy + fy - 4], fill=255)
    img.paste(stripes, (0, 0), mask_and(mask, field))
    d.ellipse([cx - 40, cy - 26, cx + 40, cy + 26], outline=(245, 245, 245), width=3)
    for k in range(5):  # runners on the front straight, one per lane
        person(d, int(w * 0.3) + k * 75 + rng.randint(-12, 12), int(cy + fy + 16 + k * 11), 0.75,
               rng.choice([(240, 240, 240), (250, 200, 60), (60, 110, 200), (230, 90, 70)]))
    return soften(img)


def scene_campus(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Teaching buildings, a lawn and trees under an autumn sky."""
    w, h = size
    img = vertical_gradient(size, (250, 200, 140), (170, 205, 240))
    d = ImageDraw.Draw(img)
    for _ in range(4):
        x, y = rng.randint(0, w), rng.randint(20, int(h * 0.3))
        for k in range(3):
            d.ellipse([x + k * 30, y - k % 2 * 10, x + k * 30 + 70, y + 34], fill=(255, 250, 245))
    ground = int(h * 0.72)
    x = -20
    while x < w:
        bw = rng.randint(120, 220)
        bh = rng.randint(int(h * 0.25), int(h * 0.5))
        wall = rng.choice([(225, 215, 200), (205, 190, 170), (190, 200, 215), (235, 225, 210)])
        building(d, (x, ground - bh, x + bw, ground), wall, (95, 130, 170), rng,
                 roof=(150, 70, 60) if rng.random() < 0.3 else None)
        x += bw + rng.randint(10, 40)
    d.rectangle([0, ground, w, h], fill=(110, 170, 90))
    d.polygon([(w * 0.42, h), (w * 0.58, h), (w * 0.52, ground), (w * 0.48, ground)], fill=(215, 205, 185))
    for _ in range(9):
        tree(d, rng.randint(0, w), ground + rng.randint(10, 60), rng.randint(70, 120),
             rng.choice([(230, 160, 50), (200, 90, 40), (240, 200, 70), (90, 150, 70)]))
    return soften(img)


def scene_screens(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A computer lab: rows of monitors showing coloured code lines."""
    w, h = size
    img = vertical_gradient(size, (24, 32, 52), (46, 60, 92))
    d = ImageDraw.Draw(img)
    palette = [(120, 200, 255), (250, 200, 90), (160, 230, 140), (240, 130, 170), (200, 200, 220)]
    mw, mh = int(w * 0.26), int(h * 0.34)
    for row, y in enumerate((int(h * 0.1), int(h * 0.52))):
        for col in range(3):
            x = int(w * 0.06) + col * int(w * 0.31)
            d.rounded_rectangle([x - 6, y - 6, x + mw + 6, y + mh + 6], radius=8, fill=(15, 18, 28))
            d.rectangle([x, y, x + mw, y + mh], fill=(30, 34, 48))
            indent = 0
            for line in range(int(mh / 16) - 1):
                ly = y + 10 + line * 16
                indent = max(0, min(3, indent + rng.choice((-1, 0, 0, 1))))
                lx = x + 10 + indent * 16
                for _ in range(rng.randint(1, 4)):
                    seg = rng.randint(14, 60)
                    if lx + seg > x + mw - 8:
                        break
                    d.rounded_rectangle([lx, ly, lx + seg, ly + 7], radius=3, fill=rng.choice(palette))
                    lx += seg + 8
            d.rectangle([x + mw // 2 - 10, y + mh + 6, x + mw // 2 + 10, y + mh + 22], fill=(70, 75, 90))
    d.rectangle([0, h - 30, w, h], fill=(120, 90, 70))
    return soften(img)


def scene_network(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Connected nodes over a blue gradient: networks, data, AI."""
    w, h = size
    img = vertical_gradient(size, (20, 60, 120), (40, 140, 190))
    d = ImageDraw.Draw(img)
    nodes = [(rng.randint(40, w - 40), rng.randint(40, h - 40)) for _ in range(26)]
    for i, (x, y) in enumerate(nodes):
        nearest = sorted(nodes, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)[1:4]
        for nx, ny in nearest:
            d.line([(x, y), (nx, ny)], fill=(120, 200, 240), width=2)
    for x, y in nodes:
        r = rng.randint(6, 14)
        d.ellipse([x - r - 4, y - r - 4, x + r + 4, y + r + 4], fill=(60, 150, 210))
        d.ellipse([x - r, y - r, x + r, y + r], fill=rng.choice([(250, 250, 255), (255, 210, 110), (150, 240, 220)]))
    return soften(img)


def scene_lecture(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A lecture hall: projection screen with a chart, a speaker, the audience from behind."""
    w, h = size
    img = vertical_gradient(size, (225, 220, 210), (190, 180, 170))
    d = ImageDraw.Draw(img)
    sx0, sy0, sx1, sy1 = int(w * 0.2), int(h * 0.08), int(w * 0.8), int(h * 0.5)
    d.rectangle([sx0 - 8, sy0 - 8, sx1 + 8, sy1 + 8], fill=(60, 60, 70))
    d.rectangle([sx0, sy0, sx1, sy1], fill=(245, 248, 252))
    d.rectangle([sx0, sy0, sx1, sy0 + 26], fill=(30, 90, 160))
    bars = 7
    for i in range(bars):
        bh = rng.randint(30, int((sy1 - sy0) * 0.6))
        bx = sx0 + 30 + i * ((sx1 - sx0 - 60) // bars)
        d.rectangle([bx, sy1 - 20 - bh, bx + 28, sy1 - 20], fill=rng.choice([(70, 140, 220), (240, 160, 60), (90, 190, 140)]))
    d.rectangle([int(w * 0.84), int(h * 0.36), int(w * 0.92), int(h * 0.62)], fill=(140, 95, 55))
    person(d, int(w * 0.88), int(h * 0.36), 1.1, (50, 60, 90))
    for row, y in enumerate(range(int(h * 0.7), h + 60, 44)):
        scale = 1.1 + row * 0.25
        step = int(48 * scale)
        for x in range(-(row % 2) * step // 2, w + step, step):
            d.ellipse([x - 14 * scale, y - 14 * scale, x + 14 * scale, y + 14 * scale],
                      fill=rng.choice([(40, 30, 25), (60, 45, 35), (30, 25, 25)]))
            d.rounded_rectangle([x - 22 * scale, y + 10 * scale, x + 22 * scale, y + 60 * scale], radius=int(10 * scale),
                                fill=rng.choice([(70, 100, 150), (150, 60, 60), (80, 130, 90), (200, 190, 170)]))
    return soften(img)


def scene_volunteers(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Volunteers in red vests on a park path, with balloons and a heart."""
    w, h = size
    img = vertical_gradient(size, (255, 225, 190), (250, 245, 230))
    d = ImageDraw.Draw(img)
    ground = int(h * 0.8)
    d.rectangle([0, ground, w, h], fill=(150, 195, 110))
    for _ in range(6):
        tree(d, rng.randint(0, w), ground, rng.randint(120, 180), rng.choice([(100, 165, 80), (130, 180, 90)]))
    cx, cy, r = w // 2, int(h * 0.3), int(h * 0.12)
    d.ellipse([cx - 2 * r, cy - r, cx, cy + r], fill=(230, 60, 70))
    d.ellipse([cx, cy - r, cx + 2 * r, cy + r], fill=(230, 60, 70))
    d.polygon([(cx - 2 * r + 4, cy + r // 3), (cx + 2 * r - 4, cy + r // 3), (cx, cy + 2 * r)], fill=(230, 60, 70))
    for k in range(7):
        x = int(w * 0.14) + k * int(w * 0.12)
        person(d, x, ground + 20, 1.6 + rng.random() * 0.2, (215, 40, 45))
    for _ in range(6):
        bx, by = rng.randint(30, w - 30), rng.randint(30, int(h * 0.45))
        d.line([(bx, by + 24), (bx + rng.randint(-20, 20), by + 110)], fill=(120, 120, 120), width=1)
        d.ellipse([bx - 18, by - 22, bx + 18, by + 24], fill=rng.choice([(250, 200, 60), (100, 170, 230), (240, 120, 150)]))
    return soften(img)


def scene_tents(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A club fair: rows of coloured tents with flags and visitors."""
    w, h = size
    img = vertical_gradient(size, (140, 200, 245), (230, 240, 250))
    d = ImageDraw.Draw(img)
    ground = int(h * 0.55)
    d.rectangle([0, ground, w, h], fill=(205, 195, 180))
    colors = [(230, 70, 70), (60, 130, 220), (250, 180, 50), (80, 180, 120), (160, 90, 200), (240, 130, 60)]
    tw = int(w / 5.2)
    for i in range(6):
        x = int(-tw * 0.3) + i * int(tw * 1.05)
        c = colors[i % len(colors)]
        d.polygon([(x, ground - 60), (x + tw // 2, ground - 120), (x + tw, ground - 60)], fill=c)
        d.rectangle([x, ground - 60, x + tw, ground - 44], fill=shade(c, 0.8))
        for k in range(0, tw, 24):
            d.pieslice([x + k, ground - 56, x + k + 24, ground - 32], 0, 180, fill=(250, 250, 250))
        d.line([(x + 4, ground - 44), (x + 4, ground + 40)], fill=(90, 90, 90), width=3)
        d.line([(x + tw - 4, ground - 44), (x + tw - 4, ground + 40)], fill=(90, 90, 90), width=3)
        d.rectangle([x + 14, ground + 6, x + tw - 14, ground + 36], fill=(250, 250, 250))
        d.line([(x + tw // 2, ground - 120), (x + tw // 2, ground - 160)], fill=(90, 90, 90), width=2)
        d.polygon([(x + tw // 2, ground - 160), (x + tw // 2 + 30, ground - 150), (x + tw // 2, ground - 140)],
                  fill=colors[(i + 2) % len(colors)])
    for _ in range(16):
        person(d, rng.randint(10, w - 10), rng.randint(ground + 110, h - 5), 1.3 + rng.random() * 0.5,
               rng.choice(colors + [(240, 240, 240), (60, 60, 70)]))
    return soften(img)


def scene_library(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Bookshelves and a reading desk with a lamp: studying, exams, policies."""
    w, h = size
    img = vertical_gradient(size, (245, 235, 215), (215, 195, 165))
    d = ImageDraw.Draw(img)
    shelf_bottom = int(h * 0.62)
    for y in range(30, shelf_bottom, 70):
        d.rectangle([20, y + 58, w - 20, y + 66], fill=(130, 85, 50))
        x = 30
        while x < w - 40:
            bw = rng.randint(12, 26)
            bh = rng.randint(38, 56)
            d.rectangle([x, y + 58 - bh, x + bw, y + 58], fill=rng.choice(
                [(170, 50, 50), (50, 90, 150), (60, 130, 90), (210, 170, 70), (110, 80, 140), (200, 110, 60), (230, 225, 210)]))
            x += bw + rng.randint(1, 4)
    d.rectangle([0, shelf_bottom + 10, w, h], fill=(150, 105, 70))
    d.rectangle([0, shelf_bottom + 10, w, shelf_bottom + 22], fill=(120, 80, 50))
    bx, by = int(w * 0.35), shelf_bottom + 60
    d.polygon([(bx, by), (bx + 140, by - 10), (bx + 150, by + 60), (bx + 10, by + 70)], fill=(250, 248, 240))
    d.polygon([(bx + 140, by - 10), (bx + 280, by), (bx + 270, by + 70), (bx + 150, by + 60)], fill=(245, 242, 232))
    for k in range(6):
        d.line([(bx + 20, by + 10 + k * 9), (bx + 130, by + 2 + k * 9)], fill=(170, 170, 180), width=2)
        d.line([(bx + 160, by + 4 + k * 9), (bx + 260, by + 12 + k * 9)], fill=(170, 170, 180), width=2)
    lx = int(w * 0.78)
    d.rectangle([lx - 30, h - 40, lx + 30, h - 30], fill=(60, 60, 60))
    d.line([(lx, h - 40), (lx - 20, shelf_bottom + 40)], fill=(60, 60, 60), width=6)
    d.polygon([(lx - 60, shelf_bottom + 60), (lx - 20, shelf_bottom + 20), (lx + 20, shelf_bottom + 50)], fill=(40, 110, 90))
    return soften(img)


def scene_exam(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """An examination room seen from the front: neat rows of desks with papers."""
    w, h = size
    img = vertical_gradient(size, (235, 238, 240), (200, 205, 212))
    d = ImageDraw.Draw(img)
    d.rectangle([int(w * 0.25), 20, int(w * 0.75), int(h * 0.22)], fill=(40, 80, 60))  # blackboard
    d.rectangle([int(w * 0.25) - 6, int(h * 0.22), int(w * 0.75) + 6, int(h * 0.22) + 6], fill=(150, 120, 90))
    d.ellipse([w - 110, 30, w - 50, 90], fill=(250, 250, 250), outline=(80, 80, 80), width=4)  # clock
    d.line([(w - 80, 60), (w - 80, 40)], fill=(40, 40, 40), width=3)
    d.line([(w - 80, 60), (w - 64, 66)], fill=(40, 40, 40), width=3)
    horizon = int(h * 0.3)
    for row in range(5):
        t = row / 4
        y = horizon + 20 + int((h - horizon) * (t ** 1.3) * 0.85)
        scale = 0.6 + t * 0.9
        dw, gap = int(110 * scale), int(60 * scale)
        total = 5 * dw + 4 * gap
        x0 = (w - total) // 2
        for col in range(5):
            x = x0 + col * (dw + gap)
            d.rectangle([x, y, x + dw, y + int(16 * scale)], fill=(190, 145, 95))
            d.rectangle([x + 4, y + int(16 * scale), x + int(10 * scale), y + int(50 * scale)], fill=(120, 90, 60))
            d.rectangle([x + dw - int(10 * scale), y + int(16 * scale), x + dw - 4, y + int(50 * scale)], fill=(120, 90, 60))
            d.polygon([(x + dw * 0.3, y + 2), (x + dw * 0.7, y + 2), (x + dw * 0.72, y + int(12 * scale)),
                       (x + dw * 0.28, y + int(12 * scale))], fill=(252, 252, 250))
    return soften(img)


def scene_shield(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A green shield with a check mark and leaves: health, safety, drug-free campus."""
    w, h = size
    img = vertical_gradient(size, (200, 235, 210), (120, 190, 150))
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x, y, r = rng.randint(0, w), rng.randint(0, h), rng.randint(20, 60)
        d.ellipse([x - r, y - r // 2, x + r, y + r // 2], fill=rng.choice([(150, 210, 160), (175, 225, 180), (110, 180, 130)]))
    cx, top, sw = w // 2, int(h * 0.12), int(h * 0.34)
    shape = [(cx - sw, top + 30), (cx, top), (cx + sw, top + 30), (cx + sw - 10, top + sw + 20), (cx, top + 2 * sw + 20),
             (cx - sw + 10, top + sw + 20)]
    d.polygon(shape, fill=(40, 130, 90))
    inner = [(cx + (x - cx) * 0.82, top + 12 + (y - top) * 0.82) for x, y in shape]
    d.polygon(inner, fill=(250, 252, 248))
    d.line([(cx - sw * 0.4, top + sw * 0.9), (cx - sw * 0.08, top + sw * 1.25), (cx + sw * 0.45, top + sw * 0.55)],
           fill=(40, 150, 90), width=18, joint="curve")
    return soften(img)


def scene_mountain_school(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A small school among green hills with a flag: rural teaching volunteers."""
    w, h = size
    img = vertical_gradient(size, (160, 210, 245), (235, 245, 250))
    d = ImageDraw.Draw(img)
    for layer, color in enumerate([(120, 170, 140), (90, 150, 100), (70, 130, 80)]):
        base = int(h * (0.45 + layer * 0.12))
        points = [(0, h)]
        for x in range(0, w + 60, 60):
            points.append((x, base - int(40 * math.sin(x / (90 + layer * 30) + layer * 2)) - rng.randint(0, 20)))
        points.append((w, h))
        d.polygon(points, fill=color)
    sx, sy = int(w * 0.35), int(h * 0.72)
    d.rectangle([sx, sy - 90, sx + 260, sy], fill=(240, 235, 225))
    d.polygon([(sx - 15, sy - 90), (sx + 130, sy - 140), (sx + 275, sy - 90)], fill=(170, 70, 55))
    for k in range(4):
        d.rectangle([sx + 20 + k * 60, sy - 70, sx + 50 + k * 60, sy - 40], fill=(110, 160, 200))
    d.rectangle([sx + 115, sy - 40, sx + 145, sy], fill=(140, 95, 60))
    fx = sx + 330
    d.line([(fx, sy), (fx, sy - 170)], fill=(200, 200, 200), width=4)
    d.rectangle([fx + 2, sy - 170, fx + 62, sy - 130], fill=(220, 30, 30))
    for k in range(5):
        person(d, sx - 120 + k * 34, sy + 60, 1.0 + (k == 2) * 0.4, (215, 40, 45) if k == 2 else (90, 140, 210))
    return soften(img)


def scene_lights(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Evening study: a building with lit windows under a dusk sky and a moon."""
    w, h = size
    img = vertical_gradient(size, (40, 50, 100), (200, 130, 110))
    d = ImageDraw.Draw(img)
    d.ellipse([80, 40, 150, 110], fill=(250, 240, 200))
    d.ellipse([100, 30, 170, 100], fill=lerp((40, 50, 100), (200, 130, 110), 0.08))
    for _ in range(30):
        x, y = rng.randint(0, w), rng.randint(0, int(h * 0.4))
        d.point((x, y), fill=(250, 250, 230))
    ground = int(h * 0.85)
    building(d, (int(w * 0.3), int(h * 0.25), int(w * 0.9), ground), (90, 85, 100), (50, 60, 90), rng)
    for _ in range(22):
        x = rng.randint(int(w * 0.3) + 12, int(w * 0.9) - 24)
        y = rng.randint(int(h * 0.3), ground - 30)
        d.rectangle([x, y, x + 12, y + 14], fill=(255, 225, 140))
    d.rectangle([0, ground, w, h], fill=(45, 60, 55))
    for _ in range(5):
        tree(d, rng.randint(0, int(w * 0.3)), ground + 10, rng.randint(90, 140), (40, 80, 60))
    return soften(img)


Scene = Callable[[tuple[int, int], random.Random], Image.Image]

# (article folder under content/, file name, scene, size or None for the cover size, seed)
IMAGES: list[tuple[str, str, Scene, tuple[int, int] | None, int]] = [
    ("official/publicity/2026-09-01-opening-ceremony", "cover.jpg", scene_ceremony, None, 101),
    ("official/publicity/2026-09-01-opening-ceremony", "hall.jpg", scene_ceremony, (960, 540), 102),
    ("official/academic-affairs/2026-09-07-course-selection", "cover.jpg", scene_campus, None, 201),
    ("official/info-center/2026-09-10-campus-network-guide", "cover.jpg", scene_network, None, 301),
    ("official/school-office/2026-09-15-student-loan-policy", "cover.jpg", scene_library, None, 401),
    ("official/cs-college/2026-10-12-intelligent-computing-forum", "cover.jpg", scene_network, None, 501),
    ("official/cs-college/2026-10-12-intelligent-computing-forum", "photo-1.jpg", scene_lecture, (1000, 600), 502),
    ("official/youth-league/2026-10-22-drug-prevention-week", "cover.jpg", scene_shield, None, 601),
    ("official/youth-league/2026-10-22-drug-prevention-week", "photo-1.jpg", scene_lecture, (800, 500), 602),
    ("official/publicity/2026-11-08-autumn-sports-meet", "cover.jpg", scene_track, None, 701),
    ("official/publicity/2026-11-08-autumn-sports-meet", "photo-1.jpg", scene_track, (1080, 600), 702),
    ("official/publicity/2026-11-08-autumn-sports-meet", "photo-2.jpg", scene_volunteers, (800, 480), 703),
    ("official/academic-affairs/2026-11-26-exam-rules", "cover.jpg", scene_exam, None, 801),
    ("cs-college/cs-college/2026-09-21-programming-contest", "cover.jpg", scene_screens, None, 901),
    ("cs-college/cs-college/2026-09-21-programming-contest", "photo-1.jpg", scene_screens, (960, 540), 902),
    ("cs-college/cs-college/2026-10-09-software-testing-lecture", "cover.jpg", scene_lecture, None, 1001),
    ("cs-college/cs-college/2026-11-05-lab-open-day", "cover.jpg", scene_campus, None, 1101),
    ("cs-college/cs-college/2026-11-05-lab-open-day", "photo-1.jpg", scene_screens, (900, 560), 1102),
    ("cs-college/cs-college/2026-11-18-graduation-project-faq", "cover.jpg", scene_library, None, 1201),
    ("youth/youth-league/2026-09-25-marathon-volunteers", "cover.jpg", scene_volunteers, None, 1301),
    ("youth/youth-league/2026-09-25-marathon-volunteers", "photo-1.jpg", scene_volunteers, (960, 560), 1302),
    ("youth/student-union/2026-10-15-club-fair", "cover.jpg", scene_tents, None, 1401),
    ("youth/student-union/2026-10-15-club-fair", "photo-1.jpg", scene_tents, (1000, 560), 1402),
    ("youth/student-union/2026-10-15-club-fair", "photo-2.jpg", scene_campus, (800, 450), 1403),
    ("youth/youth-league/2026-10-28-rural-teaching-report", "cover.jpg", scene_mountain_school, None, 1501),
    ("youth/youth-league/2026-10-28-rural-teaching-report", "photo-1.jpg", scene_mountain_school, (900, 540), 1502),
    ("youth/student-union/2026-11-23-study-support-month", "cover.jpg", scene_lights, None, 1601),
]


def render(scene: Scene, size: tuple[int, int], seed: int) -> bytes:
    image = scene(size, random.Random(seed)).convert("RGB")
    buffer = io.BytesIO()
    # No exif= argument: Pillow writes no EXIF segment at all, so there is nothing to leak.
    image.save(buffer, "JPEG", quality=QUALITY, optimize=True, progressive=False)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report files that differ; write nothing")
    args = parser.parse_args(argv)
    changed = 0
    for folder, name, scene, size, seed in IMAGES:
        path = CONTENT / folder / name
        data = render(scene, size or COVER_SIZE, seed)
        if path.is_file() and path.read_bytes() == data:
            continue
        changed += 1
        if args.check:
            print(f"would change: {path.relative_to(ROOT)}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data) // 1024} KB)")
    if args.check and changed:
        return 1
    print(f"{len(IMAGES)} images, {changed} {'differ' if args.check else 'written'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
