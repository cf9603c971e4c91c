"""URL slugs for blog post titles."""

import re
import unicodedata


def slugify(title, max_length=60):
    """Return a URL slug for title: lower-case ASCII letters and digits, with every run of other
    characters turned into a single hyphen, and no hyphen at either end. Accented letters lose their
    accents. The slug is cut to at most max_length characters, never ending in a hyphen."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower())
    return text[:max_length]
