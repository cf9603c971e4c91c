"""Splitting a list of items into numbered pages."""


def page_count(total, per_page):
    """Return how many pages `total` items fill at `per_page` items a page."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return (total + per_page - 1) // per_page


def paginate(items, page, per_page=10):
    """Return the items on page `page` (numbered from 1), or an empty list past the last page."""
    if page < 1:
        raise ValueError("pages are numbered from 1")
    start = (page - 1) * per_page
    end = start + per_page
    return items[start:end]
