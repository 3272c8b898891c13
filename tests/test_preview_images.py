"""The preview shows, image for image, what the publisher sends to WeChat.

Reviewers approve what the preview shows; the publisher uploads the bundle files the renderer
names and sends web images as written. Both sides go through the renderer's one
classification (pipeline.render.html.ImageSource), so for any image target an editor (or an
attacker) may write, each <img> of the preview is either the very bundle file the publisher
uploads at that place, byte for byte, or a placeholder where the publisher sends no bundle
file; and the page names nothing on the network. Lint checks the same images as files. The property runs the real renderer,
preview and draft builder on a real bundle; tests/test_preview_browser.py opens such a page
in Chromium and watches its requests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from html import unescape
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import Article, load_article
from pipeline.lint.document import Document
from pipeline.markdown import bundle_name, scheme_of
from pipeline.policies import Policies, load_policies
from pipeline.preview import build_preview
from pipeline.render import render_article
from pipeline.render.html import ImageSource
from pipeline.sending import article_uploads, draft_article
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import jpeg_bytes, make_repo, write_article

ARTICLE = PurePosixPath("content/official/publicity/2026-10-20-sports-day/index.md")
UPLOADED = "http://mmbiz.qpic.cn/mmbiz_jpg/{sha}/0?wx_fmt=jpeg"  # what media/uploadimg answers, named by content
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')
_COVER_CSS = re.compile(r'\.cover\{background-image:url\("([^"]*)"\)\}')

# The names the class is made of: schemes in any case, written or percent-encoded, slashes
# that make a host, encodings decoded once (never twice), data: and other schemes.
PREFIXES = ("", "http:", "https:", "HTTPS:", "hTtP:", "http%3A", "https%3a", "HTTPS%3A", "data:", "ftp:",
            "javascript:", "file:", "/", "%2F", "%68ttps:")
MIDDLES = ("", "/", "//", "%2F%2F", "%252F%252F", "///")
TAILS = ("x.png", "evil.example/track.jpg", "evil.example/x.png?a=1#b", "a%2520b.jpg", "a%20b.jpg",
         "image/png;base64,iVBORw0KGgo=", "%2e%2e/cover.jpg", "cover.jpg")

# What the tests were written against (tests/test_attack_source.py has the first one's story)
ATTACKER_TARGETS = (
    "https%3A//evil.example/track.jpg",  # the bundle file https:/evil.example/track.jpg
    "https:/evil.example/track.jpg",  # a web image (scheme https) whose text is that file's name
    "http%3Ax.png",  # the bundle file http:x.png
    "http:x.png",  # a web image, though the bundle has a file of that name
    "HTTPS://evil.example/a.jpg",  # a web image, schemes are case-insensitive
    "//evil.example/x.png",  # no scheme: a bundle name, refused (it leaves the folder)
    "%2F%2Fevil.example/x.png",  # the same, percent-encoded
    "a%2520b.jpg",  # the bundle file a%20b.jpg (decoded once)
    "data:image/png;base64,iVBORw0KGgo=",  # not an image WeChat shows: no <img> at all
)


def bundle_files(targets: list[str] | tuple[str, ...]) -> dict[str, bytes]:
    """A distinct picture at each name the targets could mean as bundle files (where the
    names do not clash as file and folder): the publisher's upload and the preview's picture
    can then be told apart by their bytes."""
    files: dict[str, bytes] = {}
    for number, target in enumerate(targets):
        name = bundle_name(target)
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if not parts or ".." in parts or name.startswith("/") or "\0" in name:
            continue
        path = "/".join(parts)
        if any(other.startswith(path + "/") or path.startswith(other + "/") for other in files):
            continue
        files[path] = jpeg_bytes(40 + number, 30, color=(number * 20 % 256, 90, 160))
    return files


def write_bundle(root: Path, targets: list[str] | tuple[str, ...]) -> Article:
    shutil.rmtree(root / ARTICLE.parent, ignore_errors=True)
    body = "正文。\n\n" + "".join(f"![图{i}]({target})\n\n" for i, target in enumerate(targets))
    write_article(root, body=body, files=bundle_files(targets))
    article = load_article(WorkTree(root), ARTICLE)
    assert isinstance(article, Article), article
    return article


def sent_and_shown(article: Article, policies: Policies) -> tuple[list[str], list[str], str, dict[str, str]]:
    """(the <img> srcs the publisher sends, those of the preview page, the page, the bundle
    file each upload URL stands for)."""
    found = article_uploads(article, policies)
    assert not isinstance(found, str), found
    files, _ = found
    uploads = {name: UPLOADED.format(sha=ref.sha) for ref, name in files if ref.kind == "image"}
    sent = draft_article(article, policies, uploads, "cover-media-id", "mark")
    page = build_preview(article, policies)
    return ([unescape(src) for src in _IMG_SRC.findall(sent["content"])],
            [unescape(src) for src in _IMG_SRC.findall(page)], page,
            {url: name for name, url in uploads.items()})


def data_sha(uri: str) -> str:
    assert re.match(r"data:image/(jpeg|png|gif|webp);base64,", uri), uri[:60]
    return hashlib.sha256(base64.b64decode(uri.split(",", 1)[1])).hexdigest()


def assert_lint_classifies_as_the_renderer(article: Article, policies: Policies) -> None:
    """Lint checks as bundle files exactly the images the renderer hands over as bundle files
    (LINK001/LINK002, MEDIA005...), and reports the rest as web images (MEDIA013)."""
    told: list[ImageSource] = []

    def record(image: ImageSource) -> str:
        told.append(image)
        return image.name

    render_article(article, policies, image_url=record)
    images = [ref for ref in Document(article, policies).references if ref.is_image]
    assert [bundle_name(ref.target) for ref in images if not ref.is_external] == [i.name for i in told if i.in_bundle]
    assert [ref.target for ref in images if ref.is_external and scheme_of(ref.target) in ("http", "https")] == \
        [i.name for i in told if not i.in_bundle]


def assert_the_preview_shows_what_is_sent(article: Article, policies: Policies) -> None:
    assert_lint_classifies_as_the_renderer(article, policies)
    sent, shown, page, uploaded = sent_and_shown(article, policies)
    assert len(shown) == 2 * len(sent), (sent, [s[:40] for s in shown])  # each image, in light and dark
    assert shown[:len(sent)] == shown[len(sent):]
    for src, preview in zip(sent, shown):
        if src in uploaded:  # a bundle file the publisher uploads: the preview shows that very file
            assert data_sha(preview) == hashlib.sha256(article.files.read(uploaded[src])).hexdigest(), src
        else:  # sent as written (a web image), or never sent (a refused file stops the article): no picture
            assert preview.startswith("data:image/svg+xml"), (src, preview[:60])
            assert not src.startswith("data:"), src  # WeChat is never sent a picture inside the HTML
    # the page itself asks no host for anything: every picture is inside it
    assert all(src.startswith("data:") for src in shown)
    [cover] = _COVER_CSS.findall(page)
    assert data_sha(cover) == hashlib.sha256(article.files.read("cover.jpg")).hexdigest()
    assert not re.search(r'(?i)(src|href)="(https?:)?//|url\(["\']?(https?:)?//', page)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Policies]:
    root = make_repo(tmp_path_factory.mktemp("images"))
    return root, load_policies(root)


def test_the_names_an_attacker_picks_show_what_is_sent(site: tuple[Path, Policies]) -> None:
    root, policies = site
    article = write_bundle(root, ATTACKER_TARGETS)
    assert_the_preview_shows_what_is_sent(article, policies)
    sent, shown, _, uploaded = sent_and_shown(article, policies)
    # the publisher uploads three bundle files (the second named as the first target decodes,
    # which the resolver serves from https:/evil.example/track.jpg) and sends the web images as
    # written; the preview shows those three photos and placeholders for the rest
    assert sorted(uploaded.values()) == ["a%20b.jpg", "http:x.png", "https://evil.example/track.jpg"]
    assert [src for src in sent if src not in uploaded] == ["https:/evil.example/track.jpg", "http:x.png",
                                                             "HTTPS://evil.example/a.jpg", "//evil.example/x.png",
                                                             "//evil.example/x.png"]
    assert sum(src.startswith("data:image/jpeg") for src in shown[:len(sent)]) == 3


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(targets=st.lists(st.builds(lambda p, m, t: p + m + t, st.sampled_from(PREFIXES), st.sampled_from(MIDDLES),
                                  st.sampled_from(TAILS)), min_size=1, max_size=5))
def test_any_image_target_shows_in_the_preview_what_is_sent(site: tuple[Path, Policies], targets: list[str]) -> None:
    root, policies = site
    assert_the_preview_shows_what_is_sent(write_bundle(root, targets), policies)
