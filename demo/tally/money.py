"""Amounts of money, kept in integer cents so sums never drift."""


def to_cents(amount):
    """Return `amount` (a string such as "12.50") as an integer number of cents."""
    whole, _, frac = amount.strip().partition(".")
    frac = (frac + "00")[:2]
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 100 + int(frac))


def apply_discount(cents, percent):
    """Return `cents` reduced by `percent` percent, rounded down to a whole cent."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return cents * (100 - percent) // 100


def format_cents(cents, currency="EUR"):
    """Return `cents` formatted as "12.50 EUR", with a leading minus sign for negative amounts."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d} {currency}"


def total(lines, tax_rate=0):
    """Return the sum of `lines` (cents) plus `tax_rate` percent tax, rounded to the nearest cent."""
    subtotal = sum(lines)
    return subtotal + (subtotal * tax_rate + 50) // 100
