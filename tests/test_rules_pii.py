"""Personal information (R7): ID numbers, mobiles, bank cards, student numbers, e-mail; masking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.lint.rules import pii
from tests.testing.fixtures import cited, fm_line, found, run_cli, where, write_article

PII_CODES = ("PII001", "PII002", "PII003", "PII004", "PII005")
REGULATION_B6 = cited("R7")


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def lint_raw(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any], str]:
    """`wxpub lint --format json`: (exit code, the report, and its raw text, to check what it shows)."""
    code, out, _ = run_cli(root, capsys, "lint", "--format", "json", *extra)
    return code, json.loads(out), out


# Independent implementations of the two checksums, so the tests do not trust the rule's own.

def with_id_check(first17: str) -> str:
    """GB 11643-1999: append the check character to the first 17 characters of an ID number."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def with_luhn(payload: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return payload + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return with_luhn(number[:-1]) == number


def grouped(number: str, sep: str = " ") -> str:
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


ID_X = "11010519491231002X"  # the worked example of GB 11643-1999
ID_DIGIT = with_id_check("44030520010101001")
ID_OLD = with_id_check("32010619851130765")
CARD_16 = with_luhn("622202123456789")
CARD_19 = with_luhn("621700001234567890")


def test_checksum_helpers_agree_with_the_standard() -> None:
    assert with_id_check("11010519491231002") == ID_X
    assert ID_DIGIT[-1].isdigit()
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert len(CARD_16) == 16 and len(CARD_19) == 19


# --- PII001 resident ID numbers ------------------------------------------------------------------


@pytest.mark.parametrize("number", [ID_X, ID_X.lower(), ID_DIGIT, ID_OLD])
def test_valid_id_number_is_pii001_masked(repo: Path, capsys: pytest.CaptureFixture[str], number: str) -> None:
    index = write_article(repo, body=f"他的身份证号{number},请核对。\n")
    code, data, out = lint_raw(repo, capsys)
    hits = found(data, *PII_CODES)
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("PII001", *where(index, number))]
    assert hits[0]["severity"] == "error"
    assert hits[0]["regulation"] == REGULATION_B6
    assert f"疑似居民身份证号码 {number[:3]}{'*' * 11}{number[-4:]}" in hits[0]["message"]
    assert "请删除或打码" in hits[0]["message"]
    # the example of masking is this number masked, not a phone number (found walking through)
    assert f"打码(如 {number[:3]}{'*' * 11}{number[-4:]})" in hits[0]["message"]
    assert "138****5678" not in hits[0]["message"]
    assert number not in out and number.upper() not in out
    assert code == 1


def test_id_number_with_wrong_check_character_is_not_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a wrong check character that is not a Luhn-valid card number either
    wrong = next(ID_DIGIT[:17] + c for c in "0123456789X"
                 if c != ID_DIGIT[-1] and not (c.isdigit() and luhn_valid(ID_DIGIT[:17] + c)))
    write_article(repo, body=f"编号{wrong}仅为示例。\n")
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, *PII_CODES) == []


@pytest.mark.parametrize("body", [f"流水号9{ID_DIGIT}结束\n", f"流水号{ID_DIGIT}7结束\n", f"代码A{ID_X}\n"])
def test_id_number_inside_a_longer_code_is_not_reported(repo: Path, capsys: pytest.CaptureFixture[str],
                                                        body: str) -> None:
    write_article(repo, body=body)
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, "PII001") == []


def test_id_number_in_title_is_reported_at_the_title_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, front_matter={"title": f"寻找失主{ID_X}"})
    _, data, out = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == [
        ("PII001", fm_line(index, "title"), 1)]
    assert ID_X not in out


# --- PII002 mobile numbers -------------------------------------------------------------------


@pytest.mark.parametrize("text, masked", [
    ("电话13812345678", "138****5678"),
    ("13812345678", "138****5678"),
    ("手机:19912345678。", "199****5678"),
    ("+86 138 1234 5678", "+86*******5678"),
    ("+86-138-1234-5678", "+86*******5678"),
    ("86 13812345678", "861******5678"),
    ("138-1234-5678", "138****5678"),
    ("138 1234 5678", "138****5678"),
])
def test_mobile_number_is_pii002_masked(repo: Path, capsys: pytest.CaptureFixture[str], text: str,
                                        masked: str) -> None:
    index = write_article(repo, body=f"联系方式:{text} 欢迎来电\n")
    code, data, out = lint_raw(repo, capsys)
    hits = found(data, *PII_CODES)
    start = text.index("8" if text.startswith(("+", "86")) else "1") - (1 if text.startswith("+") else 0)
    line, column = where(index, text)
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("PII002", line, column + start)]
    assert hits[0]["severity"] == "error"
    assert f"疑似手机号码 {masked};" in hits[0]["message"] and f"打码(如 {masked})" in hits[0]["message"]
    digits = "".join(c for c in text if c.isdigit())
    assert digits[-11:] not in out.replace(" ", "").replace("-", "")
    assert code == 1


@pytest.mark.parametrize("text", [
    "213812345678",  # a twelve-digit number with a phone-like run inside
    "138123456789",  # one digit too many
    "2138123456789",
    "12812345678",  # 12x is not a mobile prefix
    "1381234567",  # ten digits
])
def test_numbers_that_are_not_mobiles(repo: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    write_article(repo, body=f"编号:{text} 。\n")
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, *PII_CODES) == []


@pytest.mark.parametrize("text", ["电话13812345678号", "Tel13812345678", "致电13812345678x"])
def test_mobile_glued_to_letters_or_chinese_is_still_found(repo: Path, capsys: pytest.CaptureFixture[str],
                                                           text: str) -> None:
    # digit look-arounds rather than \b: there is no word boundary between 话 and 1
    index = write_article(repo, body=f"{text}\n")
    _, data, _ = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == [
        ("PII002", *where(index, "13812345678"))]


# --- PII003 bank cards --------------------------------------------------------------------------


@pytest.mark.parametrize("shown, digits", [
    (grouped(CARD_16), CARD_16),
    (grouped(CARD_19), CARD_19),
    (CARD_16, CARD_16),
    (grouped(CARD_16, "-"), CARD_16),
])
def test_bank_card_with_valid_luhn_is_pii003_only(repo: Path, capsys: pytest.CaptureFixture[str], shown: str,
                                                  digits: str) -> None:
    index = write_article(repo, body=f"请汇款至卡号{shown},户名张三。\n")
    code, data, out = lint_raw(repo, capsys)
    hits = found(data, *PII_CODES)
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("PII003", *where(index, shown))]
    assert f"疑似银行卡号 {digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]};" in hits[0]["message"]
    assert hits[0]["severity"] == "error"
    assert digits not in out and shown not in out
    assert code == 1


def test_card_with_a_phone_shaped_tail_is_only_a_card(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 16 digits written 5-3-4-4: the last eleven look like a spaced mobile number on their own
    card = next(c for c in (f"6222{d}13812345678" for d in range(10)) if luhn_valid(c))
    shown = f"{card[:5]} 138 1234 5678"
    index = write_article(repo, body=f"卡号 {shown} 请核对\n")
    _, data, _ = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == [
        ("PII003", *where(index, shown))]


def test_id_number_that_also_passes_luhn_is_only_an_id(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    number = next(n for n in (with_id_check(f"44030520010101{i:03d}") for i in range(1000))
                  if n[-1] != "X" and luhn_valid(n))
    index = write_article(repo, body=f"身份证号 {number} 请核对\n")
    _, data, _ = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == [
        ("PII001", *where(index, number))]


@pytest.mark.parametrize("number", [
    CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10),  # wrong check digit
    CARD_19[:-1] + str((int(CARD_19[-1]) + 5) % 10),
    with_luhn("62220212345678"),  # fifteen digits: too short for a card
    with_luhn("6222021234567890123"),  # twenty digits: too long
])
def test_numbers_that_are_not_cards(repo: Path, capsys: pytest.CaptureFixture[str], number: str) -> None:
    write_article(repo, body=f"编号 {grouped(number)} 仅供内部核对\n")
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, *PII_CODES) == []


# --- PII004 student numbers ------------------------------------------------------------------


@pytest.mark.parametrize("text, number", [
    ("学号：20230101123", "20230101123"),
    ("学号:20230101123", "20230101123"),
    ("学号 20230101123", "20230101123"),
    ("学号20230101123", "20230101123"),
    ("学籍号 G1234567890", "G1234567890"),
    ("学籍号：G1234567890", "G1234567890"),
    ("学生证号2023010112", "2023010112"),
])
def test_student_number_is_pii004(repo: Path, capsys: pytest.CaptureFixture[str], text: str, number: str) -> None:
    index = write_article(repo, body=f"获奖者张三,{text},计算机学院。\n")
    code, data, out = lint_raw(repo, capsys)
    hits = found(data, *PII_CODES)
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("PII004", *where(index, number))]
    assert f"含学号/学籍号 {number[:3]}{'*' * max(len(number) - 7, 3)}{number[-4:]};" in hits[0]["message"]
    assert "学生个人信息不得公开" in hits[0]["message"]
    assert hits[0]["severity"] == "error"
    assert number not in out
    assert code == 1


def test_number_without_student_label_is_not_pii004(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="报名人数20230101123人次。\n")
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, "PII004") == []


# --- PII005 e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["zhang.san@example.com", "li_si+news@mail.jcu.edu.cn", "A1@b.cn"])
def test_email_is_pii005_warning(repo: Path, capsys: pytest.CaptureFixture[str], address: str) -> None:
    index = write_article(repo, body=f"投稿邮箱:{address} 欢迎来稿\n")
    code, data, out = lint_raw(repo, capsys)
    hits = found(data, *PII_CODES)
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("PII005", *where(index, address))]
    assert hits[0]["severity"] == "warning"
    assert hits[0]["regulation"] == REGULATION_B6
    assert "含电子邮箱" in hits[0]["message"] and "公务邮箱可抑制此条" in hits[0]["message"]
    assert address not in out
    assert code == 0


# --- places that are not prose ---------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "示例:\n\n```\n电话13812345678\n邮箱 a@b.cn\n" + ID_X + "\n```\n",
    "示例:\n\n    电话13812345678\n",
    "行内代码 `13812345678` 与 `a@b.cn`。\n",
    "网址 https://example.com/13812345678 请访问。\n",
    "网址 https://example.com/user?mail=zhang@example.com 请访问。\n",
    "网址 www.example.com/13812345678 请访问。\n",
    "[报名页](https://example.com/signup?tel=13812345678) 请访问。\n",
    "[报名表](forms/13812345678.pdf)\n",
    "![合影](photos/" + CARD_16 + ".jpg)\n",
    "<!-- 编辑电话13812345678 -->\n正文。\n",
])
def test_code_urls_link_targets_and_comments_are_not_scanned(repo: Path, capsys: pytest.CaptureFixture[str],
                                                             body: str) -> None:
    write_article(repo, body=body)
    _, data, _ = lint_raw(repo, capsys)
    assert found(data, *PII_CODES) == []


def test_link_text_is_prose_and_is_scanned(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="[电话13812345678](https://example.com/) 欢迎咨询\n")
    _, data, _ = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == [
        ("PII002", *where(index, "13812345678"))]


def test_several_kinds_on_several_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (f"失主:张三,身份证{ID_DIGIT}。\n\n"
            "联系电话13912345678,邮箱 zs@example.com。\n\n"
            f"退款卡号 {grouped(CARD_19)}。\n\n"
            "学号：20230101123\n")
    index = write_article(repo, body=body)
    code, data, out = lint_raw(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, *PII_CODES)] == sorted([
        ("PII001", *where(index, ID_DIGIT)),
        ("PII002", *where(index, "13912345678")),
        ("PII005", *where(index, "zs@example.com")),
        ("PII003", *where(index, grouped(CARD_19))),
        ("PII004", *where(index, "20230101123")),
    ], key=lambda t: (t[1], t[2], t[0]))
    for secret in (ID_DIGIT, "13912345678", "zs@example.com", CARD_19, "20230101123"):
        assert secret not in out
    assert code == 1



@settings(max_examples=300)
@given(st.text(st.characters(blacklist_categories=("Nd",), blacklist_characters="@"), max_size=80).map(
    lambda t: "学号：" + t + " 电话 +" + t))
def test_a_text_without_digits_or_at_cannot_match_any_pattern(text: str) -> None:
    """The rule skips a text with no digit and no @ (pii._CANDIDATE): no pattern can match one."""
    assert not pii._CANDIDATE.search(text)
    for pattern in (pii._ID_NUMBER, pii._MOBILE, pii._BANK_CARD, pii._STUDENT_NO, pii._EMAIL):
        assert pattern.search(text) is None
