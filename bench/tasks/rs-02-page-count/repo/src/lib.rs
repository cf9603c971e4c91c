//! Pagination for the listing endpoints: how many pages a result set needs and which items a page shows.

/// Returns how many pages `total` items need when each page holds `per_page` items. A partly filled last
/// page still counts as a page, and no items need no pages.
///
/// # Panics
/// When `per_page` is zero.
pub fn page_count(total: usize, per_page: usize) -> usize {
    assert!(per_page > 0, "per_page must be positive");
    total / per_page
}

/// Returns the range of item indices shown on page `page` (counted from 0), empty past the last page.
pub fn page_range(total: usize, per_page: usize, page: usize) -> std::ops::Range<usize> {
    let start = (page * per_page).min(total);
    let end = (start + per_page).min(total);
    start..end
}
