"""Characters nobody sees: no-break and zero-width spaces, direction marks, soft hyphens, and a
byte order mark that a program turned into text (``ï»¿``).

Text pasted from a web page, or a file another program decoded with the wrong encoding and
saved again, carries them; a header or a name that holds one looks right and matches nothing.
Where repairing cannot change what a cell means (a header, a name that matches an existing
record only once repaired), they are repaired, and the batch says so; everywhere else a message
names them. Columns are searched by Arrow, a pass over plain ASCII text in the usual case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Read as a plain space when repaired.
SPACES = {
    "\u00a0": "no-break space",
    "\u202f": "narrow no-break space",
    "\u2007": "figure space",
    "\u2009": "thin space",
}
# Removed when repaired: they have no width.
ZERO_WIDTH = {
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\ufeff": "byte order mark",
    "\u00ad": "soft hyphen",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
}
NAMES = {**SPACES, **ZERO_WIDTH}
# A UTF-8 byte order mark read as Windows-1252 (or Latin-1) text, and saved again as such.
MOJIBAKE_BOM = "\ufeff".encode().decode("cp1252")
MOJIBAKE_NAME = (
    f"'{MOJIBAKE_BOM}', a byte order mark that a program reading the file as Windows-1252 "
    "saved as text"
)
_PATTERN = "[" + "".join(NAMES) + "]"
# Arrow text, as the file's cells are read: parsers.TEXT, not imported from there, since the
# errors package, which parsers imports, imports this module.
_TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))


def _arrow(values: pd.Series) -> pa.Array:
    text = pa.array(values, from_pandas=True)
    if not pa.types.is_large_string(text.type) and not pa.types.is_string(text.type):
        text = text.cast(pa.large_string())  # only missing values, or objects
    return text


def has_invisible(values: pd.Series) -> pd.Series:
    """True where a value holds an invisible character (missing values: False)."""
    text = _arrow(values)
    found = np.zeros(len(values), dtype=bool)
    if len(text) and not pc.all(pc.fill_null(pc.string_is_ascii(text), True)).as_py():
        matched = pc.match_substring_regex(text, _PATTERN)
        found = pc.fill_null(matched, False).to_numpy(zero_copy_only=False)
    return pd.Series(found, index=values.index)


def repair(values: pd.Series) -> pd.Series:
    """Each value with its no-break spaces as spaces and its zero-width characters removed,
    as Arrow text."""
    text = _arrow(values)
    text = pc.replace_substring_regex(text, "[" + "".join(SPACES) + "]", " ")
    text = pc.replace_substring_regex(text, "[" + "".join(ZERO_WIDTH) + "]", "")
    return pd.Series(pd.array(text, dtype=_TEXT), index=values.index)


def repair_text(text: str) -> str:
    """``repair`` of one value."""
    for character in SPACES:
        text = text.replace(character, " ")
    for character in ZERO_WIDTH:
        text = text.replace(character, "")
    return text


def found_in(text: str) -> list[str]:
    """The names of the invisible characters ``text`` holds, in the order they first appear
    (the garbled byte order mark included)."""
    found = {NAMES[character]: None for character in text if character in NAMES}
    names = [f"a {name}" for name in found]
    return [MOJIBAKE_NAME, *names] if MOJIBAKE_BOM in text else names


def visible(text: str) -> str:
    """``text`` with each invisible character written as its code (``Sales\\u00a0Phone``)."""
    if not any(character in NAMES for character in text):
        return text
    return "".join(f"\\u{ord(c):04x}" if c in NAMES else c for c in text)


def listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def note(text: str) -> str:
    """ "'Sales\\u00a0Phone' contains a no-break space." ("" when it holds none)."""
    names = found_in(text)
    return f"'{visible(text)}' contains {listed(names)}." if names else ""


def repairs_made(text: str) -> str:
    """What ``repair_text`` does to ``text``, in words: "a no-break space read as a space and
    a zero-width space removed"."""
    spaces = [f"a {NAMES[c]}" for c in dict.fromkeys(text) if c in SPACES]
    removed = [f"a {NAMES[c]}" for c in dict.fromkeys(text) if c in ZERO_WIDTH]
    words = []
    if spaces:
        words.append(listed(spaces) + " read as a space")
    if removed:
        words.append(listed(removed) + " removed")
    return " and ".join(words)


def repair_header(header: str, first: bool) -> tuple[str, str]:
    """A header without its invisible characters, and what was repaired in words ("" when
    nothing was).

    A byte order mark garbled into text is removed only from the start of the first header,
    where a file's byte order mark is; a real one there is the encoding's, not a repair.
    """
    done = []
    if first:
        header = header.lstrip("\ufeff")
        if header.startswith(MOJIBAKE_BOM):
            while header.startswith(MOJIBAKE_BOM):
                header = header[len(MOJIBAKE_BOM) :].lstrip("\ufeff")
            done.append(
                f"'{MOJIBAKE_BOM}' removed from its start (a byte order mark that a program "
                "reading the file as Windows-1252 saved as text)"
            )
    words = repairs_made(header)
    if words:
        done.append(words)
    return repair_text(header), "; ".join(done)


def name_in_messages(messages: np.ndarray | str, values: np.ndarray | str) -> np.ndarray | str:
    """Messages whose text or value holds an invisible character, made visible and named.

    The character is written as its code and the value holding it is named: "Skill
    'Sales\\u200bCalls' does not exist; … 'Sales\\u200bCalls' contains a zero-width space."
    ``messages`` and ``values`` are one per row, or one for every row; only the rows that hold
    one are rewritten, and the messages are returned as they are when none does.
    """
    if isinstance(messages, str) and isinstance(values, str):
        return _named(messages, values)
    size = len(values) if isinstance(messages, str) else len(messages)
    holds = np.zeros(size, dtype=bool)
    for given in (messages, values):
        if isinstance(given, str):
            holds |= bool(found_in(given))
        else:
            holds |= has_invisible(pd.Series(given, dtype=object)).to_numpy()
    if not holds.any():
        return messages
    result = np.full(size, messages, dtype=object) if isinstance(messages, str) else messages
    result = np.asarray(result, dtype=object).copy()
    named: dict[tuple[str, str], str] = {}  # a column repeats a few values many times
    for position in np.flatnonzero(holds):
        pair = (result[position], values if isinstance(values, str) else values[position])
        if pair not in named:
            named[pair] = _named(*pair)
        result[position] = named[pair]
    return result


def _named(message: str, value: str) -> str:
    """One message made visible, the invisible characters of its ``value`` (or of its own
    text, when the value holds none) named after it."""
    if not found_in(message) and not found_in(value):
        return message
    said = note(value)
    if not said:
        characters = [c for c in dict.fromkeys(message) if c in NAMES]
        said = listed([f"\\u{ord(c):04x} is a {NAMES[c]}" for c in characters]) + "."
    return f"{visible(message)} {said}"
