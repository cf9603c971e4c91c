"""Durations as people read them."""


def format_duration(seconds):
    """Return `seconds` as "H:MM:SS", or "MM:SS" when it is under an hour."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"
