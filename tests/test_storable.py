"""``bulkpoc.domain.storable``: which text a file and the store can hold."""

from __future__ import annotations

import pytest

from bulkpoc.domain.storable import encodable, storable, unstorable


@pytest.mark.parametrize(
    "text", ["", "Sales Calls", "Café Crème", "Zürich ß", "日本語", "Line 😀", "tab\there"]
)
def test_ordinary_text_accents_and_emoji_are_stored(text):
    assert encodable(text)
    assert storable(text)


@pytest.mark.parametrize("text", ["Sales\ud800", "\udc49", "a\ud835b"])
def test_an_unpaired_surrogate_is_neither_encodable_nor_storable(text):
    assert not encodable(text)
    assert not storable(text)


@pytest.mark.parametrize("text", ["\x00", "Sales\x00Calls"])
def test_a_nul_is_encodable_but_not_storable(text):
    assert encodable(text)  # UTF-8 writes it; PostgreSQL refuses it
    assert not storable(text)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Sales\x00Calls", "a NUL character"),
        ("Sales\ud800", "an unpaired surrogate"),
        ("Ünïcödé 名前 🚀", None),
        ("", None),
    ],
)
def test_what_no_file_can_hold_is_named_in_words(text, what):
    assert unstorable(text) == what
