"""Masking recognises the forms people type phone and ID-card numbers in, and nothing else.

Table tests for each listed form, and property tests (hypothesis): any mobile, landline or
ID-card number written in any of the forms, anywhere in a text, comes out masked and its
hidden digits gone; amounts, dates, percentages and entity ids come out as they went in.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelgraph.viz.mask import has_identifier, mask_text, visible

FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@pytest.mark.parametrize(
    "raw, masked",
    [
        # mobiles: full-width, separators, country codes
        ("１３８１２３４５６７８", "138****5678"),
        ("138.1234.5678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("138－1234－5678", "138****5678"),
        ("138\u3000１２３４\u30005678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("＋86 138 1234 5678", "138****5678"),
        ("0086-138-1234-5678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("86-13812345678", "138****5678"),
        ("86 138 1234 5678", "138****5678"),
        ("(+86)138 1234 5678", "138****5678"),
        ("（+86）13812345678", "138****5678"),
        # landlines: area codes in brackets or set apart
        ("(0571)88889999", "0571-****9999"),
        ("（0571）8888-9999", "0571-****9999"),
        ("(0571) 8888 9999", "0571-****9999"),
        ("0571 8888 9999", "0571-****9999"),
        ("0571-8888-9999", "0571-****9999"),
        ("０５７１－８８８８９９９９", "0571-****9999"),
        ("(010)6123-4567", "010-****4567"),
        ("021 61234567", "021-****4567"),
        ("0575-8555123", "0575-****5123"),
        # ID cards: X in any case or width, separators, the old 15 digits
        ("33060219900101123X", "330602********123X"),
        ("33060219900101123x", "330602********123x"),
        ("33060219900101123Ｘ", "330602********123X"),
        ("３３０６０２１９９００１０１１２３４", "330602********1234"),
        ("330602 19900101 1234", "330602********1234"),
        ("330602-19900101-123X", "330602********123X"),
        ("330602 1990 0101 1234", "330602********1234"),
        ("330602900101123", "330602*****1123"),
        ("330602 900101 123", "330602*****1123"),
        # inside text
        ("电话：138 1234 5678（手机），座机（0571）8888-9999", "电话：138****5678（手机），座机0571-****9999"),
        ("身份证号330602 19900101 1234。", "身份证号330602********1234。"),
        ("tel:+86-138-1234-5678", "tel:138****5678"),
    ],
)
def test_each_listed_form_is_masked(raw, masked):
    assert mask_text(raw) == masked
    assert has_identifier(raw)


@pytest.mark.parametrize(
    "text",
    [
        "1,234,567.89",
        "13812345678.00",
        "138.12345678",
        "0.13812345678",
        "13812345678%",
        "13812345678％",
        "2024-01-01",
        "20240101",
        "2024.01.01",
        "2024 01 01",
        "12.5%",
        "99.99%",
        "F000123",
        "E000005",
        "P000001",
        "S001",
        "1381234567890",
        "3306021990010112345",
        "金额 1,355.392075万元",
        "v1.2.3",
        "0.15",
        "12345",
        "贷款 13812345678.5 元",
        "比例 0.330602199001011234",
    ],
)
def test_amounts_dates_percentages_and_ids_are_not_masked(text):
    assert mask_text(text) == text
    assert not has_identifier(text)


# ----------------------------------------------------------------------------- properties

_sep = st.sampled_from(["", " ", "-", "－", "\u3000"])
_digit = st.integers(0, 9).map(str)


def _digits(n: int):
    return st.lists(_digit, min_size=n, max_size=n).map("".join)


@st.composite
def mobiles(draw):
    """(a mobile number as typed, its 11 ASCII digits)."""
    number = "1" + draw(st.sampled_from("3456789")) + draw(_digits(9))
    a, b, c = number[:3], number[3:7], number[7:]
    if draw(st.booleans()):
        body = f"{a}.{b}.{c}"
    else:
        s1, s2 = draw(_sep), draw(_sep)
        body = f"{a}{s1}{b}{s2}{c}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086-", "86-", "86 ", "(+86)", "（+86）"]))
    typed = prefix + body
    return (typed.translate(FULL) if draw(st.booleans()) else typed), number


@st.composite
def landlines(draw):
    """(a landline as typed, its area code, its last four digits)."""
    area = draw(st.sampled_from(["010", "021", "0571", "0575", "0755"]))
    local = draw(st.sampled_from("2345678")) + draw(_digits(7 if len(area) == 3 else draw(st.sampled_from([6, 7]))))
    if len(local) == 8 and draw(st.booleans()):
        local = local[:4] + draw(st.sampled_from([" ", "-"])) + local[4:]
    head = draw(st.sampled_from([area, f"({area})", f"（{area}）"]))
    sep = draw(st.sampled_from(["", " ", "-"])) if head == area else draw(st.sampled_from(["", " "]))
    typed = head + sep + local
    return (typed.translate(FULL) if draw(st.booleans()) else typed), area, local[-4:]


@st.composite
def id_cards(draw):
    """(an ID-card number as typed, its characters)."""
    if draw(st.booleans()):
        region, birth, tail = draw(_digits(6)), draw(_digits(8)), draw(_digits(3)) + draw(st.sampled_from("0123X9x"))
        s1, s2 = draw(_sep), draw(_sep)
        typed, chars = f"{region}{s1}{birth}{s2}{tail}", region + birth + tail
    else:
        region, birth, tail = draw(_digits(6)), draw(_digits(6)), draw(_digits(3))
        s1, s2 = draw(_sep), draw(_sep)
        typed, chars = f"{region}{s1}{birth}{s2}{tail}", region + birth + tail
    return (typed.translate(FULL) if draw(st.booleans()) else typed), chars


_around = st.sampled_from(["", "电话 ", "手机：", "tel ", "（", "见 ", "remark: "])
_after = st.sampled_from(["", "。", " 联系", "）", "，", " ok"])


@settings(max_examples=300, deadline=None)
@given(mobiles(), _around, _after)
def test_any_mobile_in_any_form_is_masked(mobile, before, after):
    typed, number = mobile
    out = mask_text(before + typed + after)
    assert out == before + number[:3] + "****" + number[-4:] + after


@settings(max_examples=300, deadline=None)
@given(landlines(), _around, _after)
def test_any_landline_in_any_form_is_masked(line, before, after):
    typed, area, last4 = line
    assert mask_text(before + typed + after) == before + area + "-****" + last4 + after


@settings(max_examples=300, deadline=None)
@given(id_cards(), _around, _after)
def test_any_id_card_in_any_form_is_masked(card, before, after):
    typed, chars = card
    out = mask_text(before + typed + after)
    masked = chars[:6] + "*" * (len(chars) - 10) + chars[-4:]
    assert out == before + masked + after


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**13), st.integers(0, 99))
def test_amounts_are_never_masked(yuan, fen):
    for text in (f"{yuan:,}.{fen:02d}", f"{yuan}.{fen:02d}", f"{yuan / 100:.4f}%", f"{yuan:,}元"):
        assert mask_text(text) == text


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.sampled_from(["-", "", ".", "/", "年"]))
def test_dates_are_never_masked(day, sep):
    text = day.strftime(f"%Y{sep}%m{sep}%d")
    assert mask_text(text) == text


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("PEFSCMIG"), st.integers(0, 10**8))
def test_entity_and_facility_ids_are_never_masked(letter, n):
    text = f"{letter}{n:06d}"
    assert mask_text(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_masking_never_fails_and_is_idempotent(text):
    once = mask_text(text)
    assert mask_text(once) == once
    assert not re.search(r"[\x00-\x08\x0e-\x1f]", visible(text))
