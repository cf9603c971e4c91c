"""Reads the service's settings file: `key = value` lines, `#` comments and blank lines."""

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


def parse_settings(text):
    """Return a dict of the settings in text. Keys and values are stripped of surrounding spaces;
    a later line overrides an earlier one. Raise ValueError naming the line for a line without '='."""
    settings = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"line {number}: expected 'key = value', got {line!r}")
        key, value = line.split("=", 1)
        settings[key.strip()] = value.strip()
    return settings


def get_flag(settings, key, default=False):
    """Return the boolean setting key: true for true/yes/on/1 and false for false/no/off/0, in any
    letter case. Return default when the key is absent; raise ValueError for any other value."""
    if key not in settings:
        return default
    value = settings[key]
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"{key}: expected a yes/no value, got {value!r}")
