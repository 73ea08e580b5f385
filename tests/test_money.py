from decimal import Decimal

import pytest

from overdue.money import format_rate, format_yuan, to_cents


@pytest.mark.parametrize(
    "amount, written",
    [("12000", "12,000.00元"), ("13.825", "13.83元"), ("0", "0.00元"), ("1234567.005", "1,234,567.01元")],
)
def test_format_yuan(amount, written):
    assert format_yuan(Decimal(amount)) == written


def test_rounding_is_half_up_not_bankers():
    assert to_cents(Decimal("0.125")) == Decimal("0.13")
    assert to_cents(Decimal("0.135")) == Decimal("0.14")


@pytest.mark.parametrize("rate, written", [("0.0005", "0.05%"), ("0.05", "5%"), ("0.0435", "4.35%")])
def test_format_rate(rate, written):
    assert format_rate(Decimal(rate)) == written
