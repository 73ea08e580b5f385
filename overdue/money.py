"""Money in Decimal, rounded half-up to cents, and written the way the bank writes it."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str) -> Decimal:
    """Rounds half-up to cents (never binary floats: they misround 0.005)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_yuan(amount: Decimal | int | str) -> str:
    """12000 -> '12,000.00元'."""
    return f"{to_cents(amount):,.2f}元"


def format_rate(rate: Decimal | str) -> str:
    """Decimal('0.0005') -> '0.05%'; trailing zeros dropped."""
    percent = (Decimal(rate) * 100).normalize()
    return f"{percent:f}%"
