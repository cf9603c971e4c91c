"""Splits work into batches for the uploader, which sends at most `size` records per request."""


def batches(records, size):
    """Return records split into consecutive lists of size items; the last list may be shorter.
    No records give no batches. Raise ValueError when size is not positive."""
    if size <= 0:
        raise ValueError("size must be positive")
    result = []
    for start in range(0, len(records) - size + 1, size):
        result.append(list(records[start:start + size]))
    return result


def batch_count(records, size):
    """Return how many requests the uploader makes for records."""
    return len(batches(records, size))
