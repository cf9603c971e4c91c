"""Notes with tags."""


def make_note(text):
    return {"text": text, "tags": ["note"]}
