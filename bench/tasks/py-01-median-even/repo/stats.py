"""Summary statistics for the response-time report."""


def mean(values):
    """Return the arithmetic mean of values; raise ValueError when there are none."""
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def median(values):
    """Return the median of values: the middle value once sorted, or the mean of the two middle
    values when there is an even number of them. Raise ValueError when there are none."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]


def spread(values):
    """Return the difference between the largest and the smallest value."""
    if not values:
        raise ValueError("spread of no values")
    return max(values) - min(values)
