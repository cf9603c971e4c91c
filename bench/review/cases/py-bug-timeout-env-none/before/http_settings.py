"""Settings for the HTTP client."""

DEFAULT_TIMEOUT = 30.0


def timeout_seconds():
    return DEFAULT_TIMEOUT
