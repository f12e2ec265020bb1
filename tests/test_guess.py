"""The mapping step's guesses (domain.guess): which file column holds each of ours, by its name
and by its values, and how a partner spells values, from the headers and sample cells alone."""

from __future__ import annotations

from bulkpoc.domain.guess import Known, guess_columns, guess_spellings, is_ours, spelled_kind
from bulkpoc.domain.records import RECORD_TYPES

POC = RECORD_TYPES["poc"]
KNOWN = Known({"skill": ["Sales Calls", "Email Support"], "script": ["Main IVR", "Email Router"]})


def guessed(headers: list[str], samples: list[list[str]], rtype=POC) -> dict[str, str]:
    return {ours: headers[at] for ours, at in guess_columns(rtype, headers, samples, KNOWN).items()}


def test_a_partners_file_is_guessed_by_names_and_values() -> None:
    headers = ["Queue Label", "Phone Number", "Queue", "Routing Script", "Channel"]
    samples = [
        ["Sales line", "Text line"],
        ["+1 202 555 0100", "(202) 555-0101"],
        ["Sales Calls", "Sales Calls"],
        ["Main IVR", "Main IVR"],
        ["Voice", "Text"],
    ]
    assert guessed(headers, samples) == {
        "Point of Contact": "Phone Number",
        "Skill": "Queue",
        "Script": "Routing Script",
        "Media Type": "Channel",
        "Name": "Queue Label",
    }


def test_values_alone_find_a_column_whose_name_says_nothing() -> None:
    headers = ["Col A", "Col B", "Col C"]
    samples = [["support@example.com", "+12025550100"], ["Email Support"], ["Voice", "Email"]]
    assert guessed(headers, samples) == {
        "Point of Contact": "Col A",
        "Skill": "Col B",
        "Media Type": "Col C",
    }


def test_a_column_of_names_the_store_lacks_is_not_taken_for_skill() -> None:
    assert "Skill" not in guessed(["Col A"], [["Nothing", "We know"]])


def test_yes_no_columns_go_by_their_values_and_their_names_break_the_tie() -> None:
    headers = ["Recording", "Enabled", "Title"]
    samples = [["Y", "N"], ["yes", "no"], ["x1", "x2"]]
    found = guessed(headers, samples)
    assert found["Active"] == "Enabled"
    assert found["IVR Reporting Enabled"] == "Recording"


def test_our_own_headers_are_taken_as_they_are_whatever_their_case() -> None:
    headers = ["name", "MEDIA TYPE", "Point of contact", "Skill", "Script"]
    assert guessed(headers, [[] for _ in headers]) == {
        "Name": "name",
        "Media Type": "MEDIA TYPE",
        "Point of Contact": "Point of contact",
        "Skill": "Skill",
        "Script": "Script",
    }


def test_each_file_column_is_guessed_once_and_weak_matches_not_at_all() -> None:
    found = guessed(["Phone", "Zebra"], [["+12025550100"], ["stripes"]])
    assert found == {"Point of Contact": "Phone"}


def test_number_files_find_their_phone_column_by_its_values() -> None:
    found = guessed(["DID", "Texts"], [["2025550100"], ["Y"]], RECORD_TYPES["number"])
    assert found["Phone Number"] == "DID"
    assert found["SMS"] == "Texts"


def test_media_type_spellings_are_guessed_for_values_that_are_not_ours() -> None:
    values = ["Voice", "Text", "voice", "Email", "E-Mail", "Carrier pigeon", ""]
    assert guess_spellings("media_type", values) == {
        "Voice": "Phone Call",
        "Text": "SMS",
        "E-Mail": "Email",
    }


def test_a_misspelt_media_type_is_guessed_by_likeness() -> None:
    assert guess_spellings("media_type", ["Phone Cal", "Emial"]) == {
        "Phone Cal": "Phone Call",
        "Emial": "Email",
    }


def test_yes_no_spellings_beyond_the_accepted_words() -> None:
    assert guess_spellings("yes_no", ["Enabled", "Disabled", "yes", "N", "maybe"]) == {
        "Enabled": "Y",
        "Disabled": "N",
    }


def test_a_name_is_guessed_only_when_nearly_the_stores_own() -> None:
    found = guess_spellings("skill", ["Sales Cals", "Sales Calls", "Billing"], KNOWN)
    assert found == {"Sales Cals": "Sales Calls"}


def test_the_kinds_of_values_a_partner_spells() -> None:
    assert spelled_kind(POC, "Media Type") == "media_type"
    assert spelled_kind(POC, "Active") == "yes_no"
    assert spelled_kind(POC, "Skill") == "skill"
    assert spelled_kind(POC, "Name") is None


def test_values_already_ours_are_not_offered_for_respelling() -> None:
    assert is_ours("media_type", "phone call")
    assert not is_ours("media_type", "Voice")  # read as Phone Call, but offered to be shown so
    assert is_ours("yes_no", "Yes")
    assert is_ours("skill", "sales calls", KNOWN)
    assert not is_ours("skill", "Sales Cals", KNOWN)
