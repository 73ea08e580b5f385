"""Long numbers are masked in every form a customer can type them (overdue/masking.py)."""
import pytest

from overdue.masking import mask_numbers


@pytest.mark.parametrize("typed, shown", [
    ("身份证110101198503153021", "身份证**************3021"),
    ("４４０１０６１９９００１０１３０２１", "**************3021"),  # full-width digits
    ("440106 1990 0101 3021", "****** **** **** 3021"),  # in groups
    ("４４０１０６　１９９０　０１０１　３０２Ｘ", "****** **** **** 302X"),  # full-width, ideographic spaces
    ("手机138-0013-8866", "手机***-****-8866"),
    ("手机１３８－００１３－８８６６", "手机***-****-8866"),
    ("手机 138 0013 8866 谢谢", "手机 *** **** 8866 谢谢"),
])
def test_every_form_of_an_id_or_phone_number_is_masked(typed, shown):
    assert mask_numbers(typed) == shown


@pytest.mark.parametrize("text", ["还3000元，尾号6217", "3021 8866", "2026-12-01还12,000.00元", "下周五还 500"])
def test_amounts_dates_and_tails_stay_readable(text):
    assert mask_numbers(text) == text
