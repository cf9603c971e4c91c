"""Amounts of money as whole cents, so that sums never pick up floating-point errors."""


def parse_amount(text):
    """Return the amount in text, such as '12.30', '-4.5', '7' or '1,250.00', as an int of cents.
    Commas between thousands are allowed. Raise ValueError for anything else, including more than
    two digits after the point."""
    text = text.strip().replace(",", "")
    sign = 1
    if text.startswith("-"):
        sign, text = -1, text[1:]
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 2:
        raise ValueError(f"not an amount: {text!r}")
    cents = int(fraction) if fraction else 0
    return sign * (int(whole) * 100 + cents)


def format_amount(cents):
    """Return cents written as an amount with two decimals, e.g. -405 as '-4.05'."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"
