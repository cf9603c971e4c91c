"""Busy times in a day's calendar, as (start, end) pairs of minutes since midnight."""


def merge_busy(intervals):
    """Return the busy intervals merged: sorted by start, with overlapping intervals and intervals
    that touch (one ends where the next starts) combined into one. Intervals whose end is not after
    their start are dropped. The input list is not modified. Returns a list of (start, end) tuples."""
    raise NotImplementedError


def total_busy(intervals):
    """Return the number of minutes that are busy, counting overlaps once."""
    return sum(end - start for start, end in merge_busy(intervals))
