import pytest

from overdue.identity_digits import find_identity_digits


@pytest.mark.parametrize(
    "text, id_last4, phone_last4, unlabeled",
    [
        ("身份证后四位3021，手机尾号8866", "3021", "8866", []),
        ("手机尾号8866 身份证后四位3021", "3021", "8866", []),
        ("我的身份证号码的后四位是3021", "3021", None, []),
        ("5521 ４５２x", "452X", None, ["5521"]),
        ("３０２１ ８８６６", None, None, ["3021", "8866"]),
        ("0019", None, None, ["0019"]),
        ("身份证110101198503153021 手机13800138866", "3021", "8866", []),
        ("32010219900707452x", "452X", None, []),
        ("电话后四位0019", None, "0019", []),
        ("我欠多少钱", None, None, []),
        ("还3000块", None, None, ["3000"]),
        ("123456", None, None, []),
    ],
)
def test_find_identity_digits(text, id_last4, phone_last4, unlabeled):
    found = find_identity_digits(text)
    assert (found.id_last4, found.phone_last4, found.unlabeled) == (id_last4, phone_last4, unlabeled)
