"""The unified social credit code validator (GB 32100-2015)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from origination.validators import uscc_check_character, validate_uscc

REAL_CODES = [
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91110000100017643K",
]


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


def refusal(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_uscc(code)
    return caught.value


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(code):
    validate_uscc(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_surrounding_spaces_and_lower_case_are_tolerated(code):
    validate_uscc(f"  {code.lower()} ")


@pytest.mark.parametrize("code", ["", "91440300192203821", "9144030019220382166", "91110000"])
def test_wrong_length_is_refused(code):
    error = refusal(code)
    assert error.code == "uscc_length"
    assert str(len(code)) in error.messages[0]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_code_alphabet_are_refused(letter):
    # Position 10 onwards is the organisation code, where letters are normally allowed.
    code = "911100001000" + letter + "7643K"
    error = refusal(code)
    assert error.code == "uscc_alphabet"
    assert f"'{letter}'" in error.messages[0]


def test_punctuation_is_refused():
    assert refusal("91110000-00017643K").code == "uscc_alphabet"


@pytest.mark.parametrize("code", ["91A10000100017643K", "9111000A100017643K"])
def test_administrative_division_code_must_be_digits(code):
    assert refusal(code).code == "uscc_division"


def test_wrong_check_character_is_refused_naming_the_expected_one():
    error = refusal("914403001922038217")
    assert error.code == "uscc_check_digit"
    assert "'6'" in error.messages[0]
    assert "'7'" in error.messages[0]


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_other_check_character_is_refused(code):
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for wrong in alphabet.replace(code[17], ""):
        assert refusal(code[:17] + wrong).code == "uscc_check_digit"


def test_a_single_changed_body_character_is_caught():
    assert refusal("91110000100017644K").code == "uscc_check_digit"


def test_check_character_matches_a_hand_calculation():
    """91110000100017643K worked by hand per GB 32100-2015.

    Weights are 3**i mod 31 for positions 1-17; letters count from 10 (A) skipping I, O, S, V, Z.

        chars   9  1  1  1  0  0  0  0  1  0  0  0  1   7   6   4   3
        weights 1  3  9 27 19 26 16 17 20 29 25 13  8  24  10  30  28
        product 9  3  9 27  0  0  0  0 20  0  0  0  8 168  60 120  84   sum = 508

    508 mod 31 = 12, so the check value is 31 - 12 = 19; the 19th value counting from 0 is
    0-9 then A=10 B C D E F G H J=18 K=19: 'K'.
    """
    weights = [pow(3, i, 31) for i in range(17)]
    assert weights == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert sum(int(c) * w for c, w in zip("91110000100017643", weights, strict=True)) == 508
    assert uscc_check_character("91110000100017643") == "K"


def test_check_value_of_zero_is_the_digit_zero():
    """When the weighted sum is a multiple of 31 the check character is '0', not the 32nd symbol."""
    # '1' at position 1 (weight 1) and at position 16 (weight 30): the sum is 31, which is 0 mod 31.
    body = "1" + "0" * 14 + "1" + "0"
    assert uscc_check_character(body) == "0"
