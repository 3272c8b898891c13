"""Word lists (R5): exact hits, the allow list, the normalised pass, per-list code/message/severity."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.fixtures import cited, ARTICLE, SAMPLE_POLICY, fm_line, found, lint_json, make_repo, where, write_article

PROHIBITED = "违法违规用语"


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"policy text to replace not found exactly once: {old!r}"
    return text.replace(old, new)


def policy_with_list(tmp_path: Path, entry: str, files: dict[str, str]) -> Path:
    """The sample policy plus one more word list (YAML `entry` under wordlists:), with its files."""
    root = make_repo(tmp_path, policies=edit(SAMPLE_POLICY, "\nwordlists:\n", "\nwordlists:\n" + entry))
    for name, content in files.items():
        (root / name).write_text(content, encoding="utf-8")
    return root


VPN_LIST = """  - name: 翻墙工具
    file: policies/wordlists/vpn.txt
    code: WORD010
    severity: error
"""


@pytest.fixture
def vpn_repo(tmp_path: Path) -> Path:
    return policy_with_list(tmp_path, VPN_LIST, {"policies/wordlists/vpn.txt": "# 测试用\nVPN\n"})


# --- exact pass (WORD001) ---------------------------------------------------------------


@pytest.mark.parametrize("body, word", [
    ("今天讨论赌博问题。\n", "赌博"),
    ("购买六合彩是违法的。\n", "六合彩"),
    ("第一段。\n\n第二段提到冰毒。\n", "冰毒"),
    ("有人组织代考,已报警。\n", "代考"),
    ("- 列表项:刷单\n", "刷单"),
])
def test_exact_word_in_body_is_word001_at_its_line_and_column(repo: Path, capsys: pytest.CaptureFixture[str],
                                                              body: str, word: str) -> None:
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD001", *where(index, word))]
    hit = hits[0]
    assert hit["path"] == ARTICLE
    assert hit["severity"] == "error"
    assert f"「{PROHIBITED}」词表中的词「{word}」" in hit["message"]
    assert "policies/wordlists/prohibited.txt" in hit["message"]
    assert hit["regulation"] == cited("R5")
    assert code == 1


def test_every_occurrence_is_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="赌博害人,赌博毁家。\n\n远离赌博之外的赌博。\n")
    _, data = lint_json(repo, capsys)
    # 远离赌博 is on the allow list, so the third occurrence is masked
    expected = [where(index, "赌博", 0), where(index, "赌博", 1), where(index, "赌博", 3)]
    assert [(f["line"], f["column"]) for f in found(data, "WORD001")] == expected
    assert found(data, "WORD002") == []


@pytest.mark.parametrize("key", ["title", "digest", "author"])
def test_word_in_front_matter_is_reported_at_that_key_line(repo: Path, capsys: pytest.CaptureFixture[str],
                                                           key: str) -> None:
    index = write_article(repo, front_matter={key: "严查赌博行为"})
    _, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD001", fm_line(index, key), 1)]
    assert "「赌博」" in hits[0]["message"]


def test_clean_article_has_no_word_findings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="同学们积极参加体育锻炼,远离不良嗜好。\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "WORD001", "WORD002", "WORD003") == []
    assert code == 0


# --- allow list -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["我们要远离毒品。\n", "拒绝毒品,珍爱生命。\n", "开展禁毒宣传。\n",
                                  "严禁代考和严禁替考。\n", "他是一名神枪手。\n"])
def test_allowed_phrase_masks_the_word(repo: Path, capsys: pytest.CaptureFixture[str], body: str) -> None:
    write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert found(data, "WORD001", "WORD002") == []


def test_allow_list_masks_only_the_phrase_not_other_uses(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="远离毒品,不吸毒品?\n\n毒品危害大。\n")
    _, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [
        ("WORD001", *where(index, "毒品", 1)),  # 吸毒品
        ("WORD001", *where(index, "毒品", 2)),  # standalone
    ]
    assert where(index, "毒品", 1)[1] == 8  # 远离毒品,不吸 is seven characters
    assert all("「毒品」" in f["message"] for f in hits)


# --- normalised pass (WORD002) ---------------------------------------------------------------


@pytest.mark.parametrize("variant, listed", [
    ("赌 博", "赌博"), ("赌*博", "赌博"), ("赌，博", "赌博"), ("赌\u3000博", "赌博"), ("赌-_-博", "赌博"),
    ("六·合·彩", "六合彩"), ("冰 毒", "冰毒"),
])
def test_disguised_word_is_word002_warning(repo: Path, capsys: pytest.CaptureFixture[str], variant: str,
                                           listed: str) -> None:
    index = write_article(repo, body=f"有人说{variant}没什么。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD002", *where(index, variant))]
    hit = hits[0]
    assert hit["severity"] == "warning"
    assert f"「{variant}」疑似「{PROHIBITED}」词表中的「{listed}」" in hit["message"]
    assert "请核实并删改" in hit["message"]
    assert hit["regulation"].startswith("R5 ")
    assert code == 0  # a warning alone does not fail lint


def test_word_split_across_lines_of_one_paragraph_is_the_word_at_the_first_line(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The renderer joins two Chinese lines of a paragraph without a space: the reader sees 赌博
    # itself, so it is an exact hit (it used to be a WORD002 warning, read from the Markdown)
    index = write_article(repo, body="他沉迷于赌\n博不能自拔。\n")
    _, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD001", *where(index, "赌\n博"))]
    assert "「赌博」" in hits[0]["message"]


def test_latin_word_split_across_lines_is_word002_shown_on_one_line(vpn_repo: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # between Latin letters the line break is shown as a space: a disguise, not the word
    index = write_article(vpn_repo, body="不要使用 VP\nN 访问。\n")
    _, data = lint_json(vpn_repo, capsys)
    hits = found(data, "WORD010", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD002", *where(index, "VP\nN"))]
    assert "「VP N」疑似「翻墙工具」词表中的「VPN」" in hits[0]["message"]


def test_no_word002_where_word001_already_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="严禁赌博,也不许赌 博。\n")
    _, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [
        ("WORD001", *where(index, "赌博")),
        ("WORD002", *where(index, "赌 博")),
    ]


def test_allowed_phrase_also_masks_the_normalised_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="主题是远离毒品,禁毒从我做起。\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "WORD001", "WORD002") == []


@pytest.mark.parametrize("variant", ["ｖｐｎ", "vpn", "Vpn", "V.P.N", "Ｖ Ｐ Ｎ"])
def test_normalised_pass_folds_full_width_and_case(vpn_repo: Path, capsys: pytest.CaptureFixture[str],
                                                   variant: str) -> None:
    index = write_article(vpn_repo, body=f"不要使用{variant}访问。\n")
    _, data = lint_json(vpn_repo, capsys)
    hits = found(data, "WORD010", "WORD002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD002", *where(index, variant))]
    # the listed entry is named as the list spells it, so it can be found in vpn.txt
    assert f"「{variant}」疑似「翻墙工具」词表中的「VPN」" in hits[0]["message"]
    assert hits[0]["severity"] == "warning"


@pytest.mark.parametrize("variant", ["ＶＰＮ", "V\u200bPN", "ＶＰ\u2060Ｎ", "V\u202ePN", "VP&#78;", "V**PN**", "VP<!-- x -->N"])
def test_full_width_invisible_characters_and_markup_are_the_word_itself(vpn_repo: Path,
                                                                       capsys: pytest.CaptureFixture[str],
                                                                       variant: str) -> None:
    # What the reader sees is VPN (full-width letters are the same letters; a zero-width or
    # bidi control character, an entity or emphasis shows nothing of its own): an exact hit,
    # an error, where ＶＰＮ used to be only a WORD002 warning
    index = write_article(vpn_repo, body=f"不要使用{variant}访问。\n")
    code, data = lint_json(vpn_repo, capsys)
    hits = found(data, "WORD010", "WORD002")
    assert [(f["code"], f["line"], f["column"], f["severity"]) for f in hits] == [
        ("WORD010", *where(index, variant), "error")]
    assert "词表中的词「VPN」" in hits[0]["message"]
    assert code == 1


def test_custom_list_exact_hit_uses_its_code_and_default_message(vpn_repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(vpn_repo, body="不要使用VPN访问。\n")
    code, data = lint_json(vpn_repo, capsys)
    hits = found(data, "WORD010", "WORD002")
    assert [(f["code"], f["line"], f["column"], f["severity"]) for f in hits] == [
        ("WORD010", *where(index, "VPN"), "error")]
    assert "含「翻墙工具」词表中的词「VPN」(来自 policies/wordlists/vpn.txt)" in hits[0]["message"]
    assert code == 1


# --- the second list: its own code, message and regulation --------------------------------------


def test_second_list_uses_its_code_message_severity_and_regulation(repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="本校食堂全国第一,绝无仅有。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "WORD001", "WORD002", "WORD003")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [
        ("WORD003", *where(index, "全国第一")),
        ("WORD003", *where(index, "绝无仅有")),
    ]
    assert hits[0]["message"] == "含广告法禁用的极限用语「全国第一」,请改为客观表述"
    assert hits[1]["message"] == "含广告法禁用的极限用语「绝无仅有」,请改为客观表述"
    assert {f["severity"] for f in hits} == {"warning"}
    # the list's own `regulation: R5`
    assert {f["regulation"] for f in hits} == {cited("R5")}
    assert code == 0


def test_second_list_disguised_word_is_word002_with_that_lists_name(repo: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="号称全国 第一的食堂。\n")
    _, data = lint_json(repo, capsys)
    hits = found(data, "WORD002", "WORD003")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("WORD002", *where(index, "全国 第一"))]
    assert "疑似「广告法极限用语」词表中的「全国第一」" in hits[0]["message"]
    assert hits[0]["regulation"].startswith("R5 ")


# --- list configuration -------------------------------------------------------------------------


def test_severity_off_disables_that_list_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = edit(SAMPLE_POLICY, "    severity: error\n    regulation: R5\n", '    severity: "off"\n    regulation: R5\n')
    root = make_repo(tmp_path, policies=policy)
    index = write_article(root, body="赌博、赌 博,全国第一。\n")
    code, data = lint_json(root, capsys)
    assert found(data, "WORD001") == []
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "WORD002", "WORD003")] == [
        ("WORD003", *where(index, "全国第一"))]
    assert code == 0


@pytest.mark.parametrize("content", ["", "# 只有注释\n\n   \n"])
def test_empty_word_list_file_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    entry = "  - name: 空词表\n    file: policies/wordlists/empty.txt\n    code: WORD011\n"
    root = policy_with_list(tmp_path, entry, {"policies/wordlists/empty.txt": content})
    index = write_article(root, body="空词表不影响其他词表:赌博。\n")
    code, data = lint_json(root, capsys)
    assert found(data, "WORD011") == []
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "WORD001", "WORD002")] == [
        ("WORD001", *where(index, "赌博"))]
    assert code == 1


def test_list_severity_notice_applies_to_its_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = edit(SAMPLE_POLICY, "    severity: error\n    regulation: R5\n", "    severity: notice\n    regulation: R5\n")
    root = make_repo(tmp_path, policies=policy)
    write_article(root, body="严禁赌博。\n")
    code, data = lint_json(root, capsys)
    assert [(f["code"], f["severity"]) for f in found(data, "WORD001")] == [("WORD001", "notice")]
    assert code == 0


# --- what text is scanned ------------------------------------------------------------------------


@pytest.mark.parametrize("body, needle", [
    ("示例:\n\n```\n赌博\n```\n", "赌博"),
    ("示例:\n\n    代码里的赌博\n", "赌博"),
    ("行内代码 `赌博` 也会被读者看到。\n", "赌博"),
    ("[赌博](https://example.com/) 链接文字\n", "赌博"),
])
def test_code_and_link_text_are_still_scanned(repo: Path, capsys: pytest.CaptureFixture[str], body: str,
                                              needle: str) -> None:
    index = write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert [(f["code"], f["line"], f["column"]) for f in found(data, "WORD001", "WORD002")] == [
        ("WORD001", *where(index, needle))]


@pytest.mark.parametrize("body", ["正文。<!-- 编辑备注:赌博 -->\n", "<!--\n多行备注\n六合彩 赌 博\n-->\n正文。\n"])
def test_html_comments_are_not_scanned(repo: Path, capsys: pytest.CaptureFixture[str], body: str) -> None:
    write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert found(data, "WORD001", "WORD002") == []


def test_normalised_pass_stops_at_sentence_ends(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 主办。证书 folds to 主办证书 without a barrier, which would contain 办证
    from pipeline.readertext import loose_fold
    assert "办证" not in loose_fold("由校学生会主办。证书将在下周发放。")
    assert loose_fold("赌，博") == "赌博" and loose_fold("ＶＰＮ") == "vpn"
