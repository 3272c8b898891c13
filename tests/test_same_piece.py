"""How alike a same-named folder must be to the published article to be the same piece
(a move, never sent again): edits an editor makes on the way stay a move, unrelated
articles never become one."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.publish import RENAMED_FOLDER_LIKENESS
from tests.testing.fixtures import PROJECT, commit_all, make_repo, write_article
from tests.testing.publishing import (
    NEXT_LUNCH, article_at, bundle_index, by_status, finish, live_copies, piece_likeness, publisher,
)

SAMPLES = [article_at(PROJECT, path) for path in sorted((PROJECT / "content").rglob("index.md"))]
# (title, body) of each sample article; the unrelated ones' likeness is in test_attack_moves.py
TEXTS = [(str(article.front_matter.get("title") or ""), article.body) for article in SAMPLES]
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# what an editor types, without Markdown syntax, whose rewrapping would change what is read
PLAIN = st.one_of(HAN, st.sampled_from("0123456789abcXYZ,。、:;!?“”()《》—"))


@settings(max_examples=60)
@given(data=st.data(), title=st.text(HAN, max_size=30))
def test_a_new_title_and_a_typo_fixed_every_hundred_characters_stay_the_same_piece(
        data: st.DataObject, title: str) -> None:
    """Through `_features`, what find_moves compares: reader text (the Markdown rendered as
    published) and the files. A typo is in the text: each edit is at a Chinese character, never
    in the Markdown's syntax (a character typed into a table's `|---|` row unmakes the table,
    which the editor sees in the preview, and is no typo fix)."""
    original_title, body = data.draw(st.sampled_from(TEXTS))
    edited = list(body)
    for _ in range(len(body) // 100):
        at = data.draw(st.sampled_from([n for n, char in enumerate(edited) if "\u4e00" <= char <= "\u9fff"]))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(HAN)
        if kind == "insert":
            edited.insert(at, char)
        elif kind == "delete":
            del edited[at]
        else:
            edited[at] = char
    assert piece_likeness(body, "".join(edited), titles=(original_title, title)) >= RENAMED_FOLDER_LIKENESS


@settings(max_examples=60)
@given(st.text(st.one_of(PLAIN, st.sampled_from("*_#[]()<>`!-\n ")), max_size=200),
       st.text(st.one_of(PLAIN, st.sampled_from("*_#[]()<>`!-\n ")), max_size=200))
def test_likeness_is_symmetric_and_between_0_and_1(first: str, second: str) -> None:
    score = piece_likeness(first, second)
    assert 0.0 <= score <= 1.0
    assert score == piece_likeness(second, first)


@settings(max_examples=60)
@given(st.text(PLAIN, max_size=300), st.lists(st.sampled_from([" ", "\n", "\u3000"]), max_size=20), st.data())
def test_a_text_is_its_own_piece_whatever_its_wrapping(text: str, spaces: list[str], data: st.DataObject) -> None:
    """Line breaks and spaces inside a paragraph do not change what is read: not a new piece."""
    rewrapped = list(text)
    for space in spaces:
        rewrapped.insert(data.draw(st.integers(0, len(rewrapped))), space)
    assert piece_likeness(text, "".join(rewrapped)) == 1.0


# -- end to end: the real publisher, the sandbox over HTTP, a real Git repository ---------------

SPORTS = ("今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕式。校长在开幕式上致辞,"
          "希望同学们赛出风格、赛出水平。本届运动会共设田径、球类和趣味项目三十余项,"
          "两千余名学生报名参赛。开幕式后,男子一百米预赛率先开赛,看台上加油声此起彼伏。"
          "运动会将持续三天,闭幕式定于周五下午举行,届时将为获奖班级和个人颁奖。\n")


def test_a_renamed_folder_with_a_typo_fixed_is_still_a_move(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, department="publicity", slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"},
                  body=SPORTS)
    commit_all(repo, "published")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)

    shutil.rmtree(repo / "content" / "official" / "publicity" / "2026-11-20-sprots")
    write_article(repo, department="publicity", slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"},
                  body=SPORTS.replace("开幕式后", "开幕式结束后"))
    commit_all(repo, "slug typo fixed, and one phrase")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    assert by_status(report).get("moved") == {bundle_index("official", "publicity", "2026-11-20-sports")}, report
    assert not report.get("published") and not report.get("retracted"), report
    assert live_copies(sandbox) == ["秋季运动会开幕"]


MENU = "本周食堂菜单如下,请同学们合理安排用餐时间。\n\n| 日期 | 午餐 | 晚餐 |\n|---|---|---|\n{rows}\n如有意见请联系后勤处。\n"
LAST_WEEK = "".join(f"| 11月{d}日 | {a} | {b} |\n" for d, a, b in [
    (16, "红烧肉、清炒菠菜", "番茄炒蛋、米饭"), (17, "宫保鸡丁、炒白菜", "酸菜鱼、馒头"),
    (18, "糖醋里脊、拍黄瓜", "牛肉面"), (19, "回锅肉、炒豆芽", "鸡蛋饼、小米粥"), (20, "鱼香肉丝、炒青菜", "饺子")])
THIS_WEEK = "".join(f"| 11月{d}日 | {a} | {b} |\n" for d, a, b in [
    (23, "土豆烧牛肉、炒油麦菜", "蛋炒饭、紫菜汤"), (24, "可乐鸡翅、炒西兰花", "刀削面"),
    (25, "红烧鱼块、凉拌木耳", "包子、绿豆粥"), (26, "梅菜扣肉、炒生菜", "炸酱面"), (27, "香菇滑鸡、炒冬瓜", "馄饨")])


def test_this_weeks_notice_written_over_last_weeks_is_published(tmp_path: Path, sandbox: str) -> None:
    """A renamed folder must be nearly the same text: a new notice on the old one's template
    is a new article, published, and the old one taken down as its folder was."""
    last, this = MENU.format(rows=LAST_WEEK), MENU.format(rows=THIS_WEEK)
    assert 0.4 < piece_likeness(last, this, titles=("本周菜单", "本周菜单")) < RENAMED_FOLDER_LIKENESS  # alike, not the same
    repo = make_repo(tmp_path)
    write_article(repo, department="publicity", slug="2026-11-16-menu", front_matter={"title": "本周菜单"}, body=last)
    commit_all(repo, "last week's menu")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)

    shutil.rmtree(repo / "content" / "official" / "publicity" / "2026-11-16-menu")
    write_article(repo, department="publicity", slug="2026-11-23-menu", front_matter={"title": "本周菜单"}, body=this)
    commit_all(repo, "this week's menu replaces last week's")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    statuses = by_status(report)
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-23-menu")}, report
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-16-menu")}, report
