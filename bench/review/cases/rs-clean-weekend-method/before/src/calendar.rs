//! Days of the week and billing days.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

pub fn is_billing_day(day: Weekday) -> bool {
    !matches!(day, Weekday::Sat | Weekday::Sun)
}
