"""A household ledger: one entry per line, `date;description;amount`."""

from money import format_amount, parse_amount


def read_entries(text):
    """Return the entries in text as (date, description, cents) tuples, skipping blank lines."""
    entries = []
    for line in text.splitlines():
        if line.strip():
            date, description, amount = line.split(";")
            entries.append((date.strip(), description.strip(), parse_amount(amount)))
    return entries


def balance(text):
    """Return the sum of every entry's amount, formatted like '12.30'."""
    return format_amount(sum(cents for _, _, cents in read_entries(text)))


def spending_by_month(text):
    """Return a dict from 'YYYY-MM' to the formatted sum of that month's negative amounts."""
    months = {}
    for date, _, cents in read_entries(text):
        if cents < 0:
            months[date[:7]] = months.get(date[:7], 0) + cents
    return {month: format_amount(total) for month, total in months.items()}
