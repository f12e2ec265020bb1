"""Suggestions for unknown skills, scripts and chat profiles: closest names, once per name."""

from __future__ import annotations

import pandas as pd

from bulkpoc.domain import suggest
from bulkpoc.domain.errors.codes import UNKNOWN_REFERENCE, did_you_mean
from tests.conftest import errors, poc


def skill_message(result) -> str:
    return next(error.message for error in result.errors if error.column == "Skill")


def test_the_suggestion_lists_one_two_or_three_names_and_nothing_without_any():
    assert did_you_mean([]) == ""
    assert did_you_mean(["A"]) == "did you mean 'A'? Otherwise "
    assert did_you_mean(["A", "B"]) == "did you mean 'A' or 'B'? Otherwise "
    assert did_you_mean(["A", "B", "C"]) == "did you mean 'A', 'B' or 'C'? Otherwise "


def test_a_typo_suggests_the_name_it_is_close_to(run):
    result = run([poc(Skill="Sales Cals")])
    assert errors(result, ("row", "column", "code", "message")) == [
        [
            2,
            "Skill",
            "unknown_reference",
            "Skill 'Sales Cals' does not exist; did you mean 'Sales Calls'? Otherwise use the "
            "name of an existing skill (download the skill export for the list).",
        ]
    ]


def test_names_match_ignoring_case_and_are_suggested_as_stored(run):
    result = run([poc(Skill="SALES  CALS")])
    assert "did you mean 'Sales Calls'?" in skill_message(result)


def test_a_vague_name_suggests_up_to_three_preferring_the_rows_media_type(run):
    # "support" is about as close to three skills; the Phone Call one comes first.
    result = run([poc(Skill="support")])
    three = "did you mean 'Support Calls', 'SMS Support' or 'Email Support'? Otherwise use"
    assert three in skill_message(result)


def test_a_name_of_the_rows_media_type_comes_before_a_closer_one_of_another(run):
    chat = poc(Name="Chat", Media_Type="Chat", Point_of_Contact="", Script="Chat Router")
    result = run([{**chat, "Skill": "Sales Chat"}])
    assert "did you mean 'Web Chat' or 'Sales Calls'?" in skill_message(result)


def test_a_row_without_a_valid_media_type_is_still_offered_every_close_name(run):
    result = run([poc(Media_Type="fax", Skill="Sales Cals")])
    assert "did you mean 'Sales Calls'?" in skill_message(result)


def test_scripts_and_chat_profiles_are_suggested_too(run):
    row = poc(Name="Chat", Media_Type="Chat", Point_of_Contact="", Skill="Web Chat")
    result = run([{**row, "Script": "chat routr", "Chat Profile": "spansh chat"}])
    messages = {error.column: error.message for error in result.errors}
    assert "Script 'chat routr' does not exist; did you mean 'Chat Router'?" in messages["Script"]
    profile = "did you mean 'Spanish Chat'? Otherwise use the name of an existing chat profile"
    assert profile in messages["Chat Profile"]


def test_a_name_close_to_nothing_keeps_the_plain_message(run):
    result = run([poc(Skill="Quarterly Billing Escalations")])
    assert skill_message(result) == (
        "Skill 'Quarterly Billing Escalations' does not exist; use the name of an existing "
        "skill (download the skill export for the list)."
    )
    assert skill_message(result) == UNKNOWN_REFERENCE.message(
        header="Skill", value="Quarterly Billing Escalations", what="skill"
    )


def test_the_same_typo_on_20000_rows_is_matched_once(run, monkeypatch):
    calls: list[str] = []
    closest_names = suggest.closest_names

    def counting(key, *candidates):
        calls.append(key)
        return closest_names(key, *candidates)

    monkeypatch.setattr(suggest, "closest_names", counting)
    chat = poc(Media_Type="Chat", Point_of_Contact="", Skill="Web Chta", Script="Chat Router")
    result = run([{**chat, "Name": f"Chat {number}"} for number in range(20_000)])
    assert calls == ["web chta"]
    assert result.counts.failed == 20_000
    assert {(error.code, error.message) for error in result.errors} == {
        (
            "unknown_reference",
            "Skill 'Web Chta' does not exist; did you mean 'Web Chat'? Otherwise use the name "
            "of an existing skill (download the skill export for the list).",
        )
    }


def test_each_row_gets_the_suggestion_for_its_own_name_and_media_type():
    table = pd.DataFrame(
        {
            "name": ["Sales Calls", "Web Chat"],
            "name_key": ["sales calls", "web chat"],
            "media_type": ["Phone Call", "Chat"],
        }
    )
    keys = pd.Series(["sales cals", "web chta", "sales cals", "web chta", "sales cals"])
    media = pd.Series(["Phone Call", "Chat", "Phone Call", "Chat", "Chat"])
    texts = suggest.suggestions(keys, table, media)
    assert texts.tolist() == [
        "did you mean 'Sales Calls'? Otherwise ",
        "did you mean 'Web Chat'? Otherwise ",
        "did you mean 'Sales Calls'? Otherwise ",
        "did you mean 'Web Chat'? Otherwise ",
        "did you mean 'Sales Calls'? Otherwise ",
    ]
