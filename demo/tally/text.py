"""Text helpers for labels and file names."""


def slugify(text):
    """Return `text` lower-cased, with every run of non-alphanumeric characters turned into one "-"
    and no "-" at either end: "Hello, World!" becomes "hello-world"."""
    out = []
    pending_dash = False
    for ch in text.lower():
        if ch.isalnum():
            if pending_dash and out:
                out.append("-")
            out.append(ch)
            pending_dash = False
        else:
            pending_dash = True
    return "".join(out)


def truncate(text, width, ellipsis="..."):
    """Return `text` cut to at most `width` characters, ending in `ellipsis` when it was cut."""
    if len(text) <= width:
        return text
    return text[: max(width - len(ellipsis), 0)] + ellipsis
