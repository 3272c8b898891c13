"""`wxpub render --check` with and without a browser.

With Debian's Chromium the layout rules run and the exit status says whether they pass; the
browser is taken away the honest way (WXPUB_CHROMIUM pointing at a file that does not exist)
to show that the command then names every rule it could not run and claims no pass, and that
--check=static asks for the static rules alone. Kept apart from tests/test_render_layout.py:
Playwright allows one instance per thread, and that module holds one open for all its tests.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.render.layout import CHROMIUM_ENV, LAYOUT_RULES, LayoutFailed, open_checker
from tests.testing.fixtures import make_repo, write_article

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium 不存在:安装 Debian 的 chromium 包后才能运行浏览器测试")


@needs_chromium
def test_render_check_passes_a_clean_article_after_measuring_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path)
    index = write_article(root)
    assert main(["--root", str(root), "render", str(index), "--check"]) == 0
    assert "LAYOUT" not in capsys.readouterr().err


def test_without_a_browser_check_names_the_rules_it_did_not_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path)
    index = write_article(root)
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv(CHROMIUM_ENV, str(missing))
    assert main(["--root", str(root), "render", str(index), "--check"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "不能判定通过" in err and "--check=static" in err
    assert all(rule.code in err for rule in LAYOUT_RULES)
    # asked for explicitly, the static rules alone pass
    assert main(["--root", str(root), "render", str(index), "--check=static"]) == 0
    assert "LAYOUT" not in capsys.readouterr().err


@needs_chromium
def test_render_check_fails_an_article_whose_code_runs_off_the_screen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A theme that keeps code on one line (white-space: pre) fails `pre` on a long line; the
    HTML is still written."""
    root = make_repo(tmp_path)
    shutil.copytree(root / "themes" / "classic", root / "themes" / "onelines")
    theme = root / "themes" / "onelines" / "theme.yaml"
    lines = theme.read_text(encoding="utf-8").splitlines()
    pre = next(i for i, line in enumerate(lines) if line.strip().startswith("pre:"))
    style = re.sub(r";?\s*white-space:\s*[\w-]+", "", lines[pre].rstrip().rstrip('"'))
    lines[pre] = style + '; white-space: pre"'
    theme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    body = "运动会代码示例如下。\n\n```python\n" + "total = compute_the_total(" + ", ".join(f"item_{i}" for i in range(12)) + ")\n```\n"
    index = write_article(root, body=body)
    out = tmp_path / "article.html"
    code = main(["--root", str(root), "render", str(index), "--theme", "onelines", "--check", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "LAYOUT004" in err, err
    assert "<pre" in out.read_text(encoding="utf-8")


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc; the browser is started by this process)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _descendants(pid: int) -> list[int]:
    result = []
    for child in _children(pid):
        result += [child, *_descendants(child)]
    return result


@needs_chromium
def test_a_browser_that_dies_mid_run_is_a_clear_error_not_a_traceback() -> None:
    before = set(_descendants(os.getpid()))
    checker = open_checker()
    try:
        assert checker.check("<p>文字</p>") == []
        started = [pid for pid in _descendants(os.getpid()) if pid not in before]
        browsers = [pid for pid in started if "chrom" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert browsers, started
        for pid in browsers:  # the processes this test started, by id
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with pytest.raises(LayoutFailed, match="浏览器排版检查失败"):
            checker.check("<p>文字</p>")
    finally:
        checker.close()
