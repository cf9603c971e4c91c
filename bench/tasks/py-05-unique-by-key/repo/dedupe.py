"""Removes duplicate contacts from imported address books."""


def unique(items, key=None):
    """Return a list of items without duplicates, keeping the first occurrence of each and the
    original order. Two items are duplicates when key(item) is equal for both; without a key, when
    the items themselves are equal. Items and keys may be unhashable (lists, dicts)."""
    raise NotImplementedError


def unique_emails(contacts):
    """Return contacts with one entry per e-mail address, compared without regard to case or
    surrounding spaces."""
    return unique(contacts, key=lambda c: c["email"].strip().lower())
