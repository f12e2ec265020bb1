"""Column parsers: media types, Y/N words, phone numbers and email addresses."""

from __future__ import annotations

import datetime as dt

import email_validator
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bulkpoc.domain.last_modified import parse_last_modified
from bulkpoc.domain.parsers import (
    Parsed,
    parse_email,
    parse_media_type,
    parse_phone,
    parse_row_changed,
    parse_yes_no,
    simple_emails,
    strip_apostrophes,
)

HEADER = "Point of Contact"


def column(*values: str) -> pd.Series:
    """A column of cleaned cell text, as the validator passes it to a parser."""
    return pd.Series(list(values), dtype=object)


def messages(parsed: Parsed) -> pd.Series:
    """Each cell's error message, as the code's template renders it."""
    found = pd.Series("", index=parsed.values.index, dtype=object)
    for problem in parsed.problems:
        found[problem.rows] = problem.error.render(problem.rows, problem.params)
    return found


# --- media type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Phone Call", "Phone Call"),
        ("phone", "Phone Call"),
        ("VOICE", "Phone Call"),
        ("Email", "Email"),
        ("e-mail", "Email"),
        ("E-Mail", "Email"),
        ("Chat", "Chat"),
        ("web chat", "Chat"),
        ("SMS", "SMS"),
        ("text", "SMS"),
        ("Work Item", "Work Item"),
        ("workitem", "Work Item"),
        ("Work-Item", "Work Item"),
        ("WORK_ITEM", "Work Item"),
    ],
)
def test_media_type_spellings_become_the_canonical_name(cell: str, expected: str) -> None:
    parsed = parse_media_type(column(cell))
    assert parsed.values.tolist() == [expected]
    assert parsed.error_code.tolist() == [""]


@pytest.mark.parametrize("cell", ["fax", "Phone Calls Only", "letter", "12"])
def test_unknown_media_type_is_an_error(cell: str) -> None:
    parsed = parse_media_type(column("Chat", cell))
    assert parsed.error_code.tolist() == ["", "invalid_media_type"]
    assert pd.isna(parsed.values[1])
    message = messages(parsed)[1]
    for name in ("Phone Call", "Email", "Chat", "SMS", "Work Item"):
        assert name in message


def test_blank_media_type_is_not_a_media_type_error() -> None:
    """A blank required cell is reported as missing by the validator, not as invalid here."""
    parsed = parse_media_type(column(""))
    assert parsed.error_code.tolist() == [""]
    assert pd.isna(parsed.values[0])


# --- Y/N -------------------------------------------------------------------------------------

YES = ["Y", "y", "Yes", "YES", "True", "true", "TRUE", "1", "X", "x"]
NO = ["N", "n", "No", "NO", "False", "false", "FALSE", "0"]


def test_yes_no_words() -> None:
    parsed = parse_yes_no(column(*YES, *NO, ""), "Active")
    assert parsed.values[: len(YES)].tolist() == [True] * len(YES)
    assert parsed.values[len(YES) : len(YES) + len(NO)].tolist() == [False] * len(NO)
    assert pd.isna(parsed.values.iloc[-1])  # blank: not given, the default applies
    assert not parsed.invalid.any()


@pytest.mark.parametrize("cell", ["maybe", "2", "yes please", "Nope", "-"])
def test_other_yes_no_words_are_errors_naming_the_column(cell: str) -> None:
    parsed = parse_yes_no(column("Y", cell), "IVR Reporting Enabled")
    assert parsed.error_code.tolist() == ["", "invalid_yes_no"]
    assert "IVR Reporting Enabled" in messages(parsed)[1]


def test_row_changed_blank_means_not_changed() -> None:
    parsed = parse_row_changed(column(*YES, *NO, ""))
    assert parsed.values.tolist() == [True] * len(YES) + [False] * (len(NO) + 1)
    assert not parsed.invalid.any()


def test_row_changed_other_word_is_an_error() -> None:
    parsed = parse_row_changed(column("Y", "changed"))
    assert parsed.error_code.tolist() == ["", "invalid_yes_no"]
    assert "Row Changed" in messages(parsed)[1]


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["(202) 555-0100", "202.555.0100", "+1 202 555 0100", "2025550100", "+12025550100"],
)
def test_phone_formats_become_e164(cell: str) -> None:
    parsed = parse_phone(column(cell), HEADER, "US")
    assert parsed.values.tolist() == ["+12025550100"]
    assert parsed.error_code.tolist() == [""]
    assert parsed.repaired is not None
    assert not parsed.repaired.any()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12025550100.0", "+12025550100"),
        ("2025550100.0", "+12025550100"),
        ("1.2025550100E+10", "+12025550100"),
        ("1.8005551234E+10", "+18005551234"),
        ("1.8005551234e10", "+18005551234"),
    ],
)
def test_spreadsheet_number_damage_is_repaired(cell: str, expected: str) -> None:
    parsed = parse_phone(column("+12025550100", cell), HEADER, "US")
    assert parsed.values.tolist() == ["+12025550100", expected]
    assert parsed.error_code.tolist() == ["", ""]
    assert parsed.repaired is not None
    assert parsed.repaired.tolist() == [False, True]


@pytest.mark.parametrize("cell", ["1.20256E+10", "1.8E+10", "2.02556E+9"])
def test_scientific_notation_that_lost_digits_is_reported(cell: str) -> None:
    parsed = parse_phone(column(cell), HEADER, "US")
    assert parsed.error_code.tolist() == ["phone_digits_lost"]
    assert pd.isna(parsed.values[0])
    assert HEADER in messages(parsed)[0]
    assert "Text" in messages(parsed)[0]  # tells the user how to avoid it
    assert parsed.repaired is not None
    assert not parsed.repaired.any()


@pytest.mark.parametrize("cell", ["'+12025550100", "'2025550100", "'(202) 555-0100"])
def test_leading_apostrophe_is_stripped(cell: str) -> None:
    parsed = parse_phone(column(cell), HEADER, "US")
    assert parsed.values.tolist() == ["+12025550100"]
    assert parsed.error_code.tolist() == [""]


def test_only_leading_apostrophes_are_stripped() -> None:
    cells = column("'+12025550100", "''help@example.com", "o'brien@example.com", "")
    assert strip_apostrophes(cells).tolist() == [
        "+12025550100",
        "help@example.com",
        "o'brien@example.com",
        "",
    ]


@pytest.mark.parametrize("cell", ["12345", "abc", "+1 202 555", "555-0100-99999999"])
def test_invalid_phone_is_an_error(cell: str) -> None:
    parsed = parse_phone(column("2025550100", cell), HEADER, "US")
    assert parsed.error_code.tolist() == ["", "invalid_phone"]
    assert pd.isna(parsed.values[1])
    assert HEADER in messages(parsed)[1]


def test_blank_phone_is_not_a_phone_error() -> None:
    parsed = parse_phone(column(""), HEADER, "US")
    assert parsed.error_code.tolist() == [""]
    assert pd.isna(parsed.values[0])


def test_non_us_default_region() -> None:
    parsed = parse_phone(
        column("020 7946 0000", "+44 20 7946 0000", "+1 202 555 0100", "2025550100"), HEADER, "GB"
    )
    assert parsed.values[:3].tolist() == ["+442079460000", "+442079460000", "+12025550100"]
    # Without a country code the number is read as British, where it is not valid.
    assert parsed.error_code.tolist() == ["", "", "", "invalid_phone"]
    assert "GB" in messages(parsed)[3]


def test_known_inventory_numbers_and_parsed_numbers_agree() -> None:
    cells = column("+12025550100", "(202) 555-0100", "+12025550101")
    fast = parse_phone(cells, HEADER, "US", known_e164=["+12025550100", "+12025550101"])
    slow = parse_phone(cells, HEADER, "US")
    assert (
        fast.values.tolist()
        == slow.values.tolist()
        == [
            "+12025550100",
            "+12025550100",
            "+12025550101",
        ]
    )


# --- email addresses -------------------------------------------------------------------------


def test_email_domain_is_lower_cased_and_local_part_kept() -> None:
    parsed = parse_email(
        column("John.Doe@Example.COM", "support+Sales@Mail.Example.org", ""), HEADER
    )
    assert parsed.values[:2].tolist() == [
        "John.Doe@example.com",
        "support+Sales@mail.example.org",
    ]
    assert pd.isna(parsed.values[2])
    assert not parsed.invalid.any()


def test_international_email_goes_through_email_validator() -> None:
    value = "José@Exämple.com"
    parsed = parse_email(column(value), HEADER)
    expected = email_validator.validate_email(value, check_deliverability=False).normalized
    assert parsed.values.tolist() == [expected]
    assert parsed.error_code.tolist() == [""]


@pytest.mark.parametrize(
    "cell",
    [
        "john@@example.com",
        "john@example",
        "john@localhost",
        "john@mail.test",
        "john..doe@example.com",
        "john doe@example.com",
        "@example.com",
        "john@",
        "john@-example.com",
        "john@example.123",
    ],
)
def test_invalid_email_gets_the_library_reason(cell: str) -> None:
    parsed = parse_email(column("ok@example.com", cell), HEADER)
    assert parsed.error_code.tolist() == ["", "invalid_email"]
    assert pd.isna(parsed.values[1])
    with pytest.raises(email_validator.EmailNotValidError) as caught:
        email_validator.validate_email(cell, check_deliverability=False)
    assert messages(parsed)[1] == f"{HEADER} is not a valid email address: {caught.value}"


def test_accepted_rows_are_taken_as_they_are() -> None:
    cells = column("Stored@Example.com", "New@Example.COM")
    parsed = parse_email(cells, HEADER, accepted=pd.Series([True, False]))
    assert parsed.values.tolist() == ["Stored@Example.com", "New@example.com"]


@pytest.mark.parametrize(
    "value",
    ["a@example.com", "John.Doe@Example.COM", "first_last+tag@sub-domain.example.co.uk"],
)
def test_fast_path_accepts_ordinary_addresses(value: str) -> None:
    """So that the property test below is not vacuous."""
    assert simple_emails(column(value))[0].tolist() == [True]


# --- property: the fast path never disagrees with email-validator ----------------------------

SPECIAL = ["localhost", "test", "invalid", "local", "onion", "arpa", "example", "LOCALHOST"]
LOCAL_PART = st.from_regex(r"[A-Za-z0-9_+\-]{1,12}(\.[A-Za-z0-9_+\-]{1,8}){0,2}", fullmatch=True)
LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9\-]{0,10}[A-Za-z0-9])?", fullmatch=True)
TLD = st.one_of(
    st.from_regex(r"[A-Za-z]{2,8}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),  # digits-only TLD
    st.sampled_from([*SPECIAL, "xn--p1ai", "c0m", "a", "a" * 63, "a" * 64]),
)
INSERTS = [".", "..", "-", "--", "_", "+", "@", " ", "é", "\n", "'", '"', "xn--"]


@st.composite
def plausible_addresses(draw: st.DrawFn) -> str:
    """Addresses shaped like local@label.tld, then mutated toward the edges of validity."""
    local = draw(LOCAL_PART)
    labels = draw(st.lists(LABEL, min_size=0, max_size=3))
    domain = ".".join([*labels, draw(TLD)])
    mutation = draw(
        st.sampled_from(["none", "insert", "long_label", "long_local", "long_domain", "case"])
    )
    if mutation == "insert":
        address = f"{local}@{domain}"
        position = draw(st.integers(0, len(address)))
        address = address[:position] + draw(st.sampled_from(INSERTS)) + address[position:]
        return address
    if mutation == "long_label":
        domain = "b" * draw(st.integers(60, 66)) + "." + domain
    elif mutation == "long_local":
        local = (local * 70)[: draw(st.integers(60, 70))].strip(".") or "x"
    elif mutation == "long_domain":
        label = "c" * draw(st.integers(40, 63))
        target = draw(st.integers(240, 260))
        while len(local) + 1 + len(domain) < target:
            domain = f"{label}.{domain}"
    elif mutation == "case":
        domain = domain.upper()
    return f"{local}@{domain}"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(plausible_addresses(), min_size=1, max_size=5))
def test_fast_path_never_disagrees_with_email_validator(values: list[str]) -> None:
    cells = column(*values)
    simple = simple_emails(cells)[0].tolist()
    parsed = parse_email(cells, HEADER)
    for position, value in enumerate(values):
        event(f"fast path: {simple[position]}")
        try:
            result = email_validator.validate_email(value, check_deliverability=False)
            expected: str | None = result.normalized
        except email_validator.EmailNotValidError:
            expected = None
        if simple[position]:
            assert expected is not None, f"fast path accepted {value!r}; email-validator rejects it"
            local, domain = value.rsplit("@", 1)
            assert expected == local + "@" + domain.lower()
        if expected is None:
            assert parsed.error_code[position] == "invalid_email", value
        else:
            assert parsed.values[position] == expected
            assert parsed.error_code[position] == "", value


# --- Last Modified ---------------------------------------------------------------------------

AT = dt.datetime(2026, 11, 23, 10, 15)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-23T10:15:30.123456Z", AT.replace(second=30, microsecond=123456)),
        ("2026-11-23 10:15:30.123456", AT.replace(second=30, microsecond=123456)),
        ("2026-11-23T10:15:30", AT.replace(second=30)),
        ("2026-11-23 10:15", AT),
        ("2026-11-23T12:15:30+02:00", AT.replace(second=30)),
        ("2026-11-23", AT.replace(hour=0, minute=0)),
        ("2026/11/23 10:15", AT),
        ("11/23/2026 10:15", AT),
        ("11/23/26 10:15 AM", AT),
        ("11/23/2026 10:15:30 PM", AT.replace(hour=22, second=30)),
        ("11/23/2026 12:15 AM", AT.replace(hour=0)),
        ("11/23/2026 12:15 pm", AT.replace(hour=12)),
        ("23/11/2026 10:15", AT),
        ("23.11.2026 10:15", AT),
        ("23-11-2026 10:15", AT),
        ("23.11.26 10:15:30,5", AT.replace(second=30, microsecond=500000)),
        ("23.11.2026", AT.replace(hour=0, minute=0)),
        ("05/05/2026 10:15", AT.replace(month=5, day=5)),
    ],
)
def test_last_modified_as_exported_or_as_a_spreadsheet_wrote_it(cell: str, expected) -> None:
    parsed = parse_last_modified(column(cell, ""))
    assert parsed.values.tolist()[0] == expected
    assert parsed.values.isna().tolist() == [False, True]
    assert parsed.error_code.tolist() == ["", ""]


@pytest.mark.parametrize(
    ("cell", "one", "other"),
    [
        ("05/11/2026 10:15", "5 November 2026", "11 May 2026"),
        ("11/05/26 10:15 AM", "11 May 2026", "5 November 2026"),
        ("01.02.2026 10:15", "1 February 2026", "2 January 2026"),
    ],
)
def test_a_day_and_month_that_could_swap_are_refused(cell: str, one: str, other: str) -> None:
    parsed = parse_last_modified(column(cell))
    assert parsed.error_code.tolist() == ["ambiguous_last_modified"]
    assert messages(parsed)[0] == (
        f"Last Modified '{cell}' could be {one} or {other}; write it as YYYY-MM-DD HH:MM, or "
        "leave it as exported."
    )
    assert parsed.values.isna().all()


@pytest.mark.parametrize(
    "cell",
    [
        "yesterday",
        "2026-13-45 10:15",
        "13/13/2026 10:15",
        "31/02/2026 10:15",
        "11/23/2026 25:00",
        "11/23/2026 10:61",
        "11/23/2026 13:15 PM",
        "11/23/2026 0:15 AM",
        "11/23/20266 10:15",
    ],
)
def test_what_is_no_date_and_time_is_invalid(cell: str) -> None:
    parsed = parse_last_modified(column(cell))
    assert parsed.error_code.tolist() == ["invalid_last_modified"]
    assert messages(parsed)[0] == "Last Modified is not a date and time; leave it as exported."
