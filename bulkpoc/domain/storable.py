"""Text a file or the store can hold: UTF-8 cannot encode an unpaired surrogate (JSON can
spell one, ``"\\ud800"``, and Python keeps it as it is), and PostgreSQL refuses a NUL in text.

Each caller says in its own words what it refused; these only answer whether.
"""

from __future__ import annotations


def encodable(text: str) -> bool:
    """Whether UTF-8 can encode ``text``: not when it holds an unpaired surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> bool:
    """Whether ``text`` can be written to a file and stored: encodable, and no NUL."""
    return unstorable(text) is None


def unstorable(text: str) -> str | None:
    """What in ``text`` no file or store can hold, in words ("a NUL character", "an unpaired
    surrogate"); None when it can be stored."""
    if "\x00" in text:
        return "a NUL character"
    if not encodable(text):
        return "an unpaired surrogate"
    return None
