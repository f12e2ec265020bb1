"""Column mappings (domain/mapping.py): TOML in and out, and a partner's table read as ours."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulkpoc.domain.errors.types import BulkpocError, FileRejected, MappingInvalid
from bulkpoc.domain.mapping import ColumnMapping, apply_mapping, check_name, closest_header
from bulkpoc.domain.records import RECORD_TYPES

PARTNER = """
record_type = "poc"

[columns]
Name = "Queue Name"
"Point of Contact" = "Phone Number"
Skill = "Queue"
Script = "Routing Script"
"IVR Reporting Enabled" = "IVR"

[constants]
"Media Type" = "Phone Call"

[values."IVR Reporting Enabled"]
yes = "Y"
no = "N"
"""


def table(headers: list[str], *rows: list[str]) -> tuple[list[str], pd.DataFrame]:
    columns = {at: [row[at] for row in rows] for at in range(len(headers))}
    return headers, pd.DataFrame(columns, dtype="str")


def test_a_toml_mapping_reads_its_three_sections():
    mapping = ColumnMapping.from_toml(PARTNER)
    assert mapping.record_type == "poc"
    assert mapping.columns["Point of Contact"] == "Phone Number"
    assert mapping.constants == {"Media Type": "Phone Call"}
    assert mapping.values == {"IVR Reporting Enabled": {"yes": "Y", "no": "N"}}
    assert mapping.headers == ()


def test_our_column_names_match_ignoring_case_and_spaces_and_are_kept_as_ours():
    mapping = ColumnMapping.from_toml('[columns]\n"point of  contact" = "Phone"\n', "poc")
    assert mapping.columns == {"Point of Contact": "Phone"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[columns\nName = 1", "not valid TOML"),
        ("[colums]\nName = 'x'", "unknown section 'colums'"),
        ("[columns]\nQueue = 'x'", "names 'Queue', which is not a Point of Contact column"),
        ("[constants]\nActive = true", "not a text in quotes"),
        ("[values.Colour]\nred = 'R'", "names 'Colour'"),
        ("[columns]\nName = 'A'\n[constants]\nName = 'B'", "both a file header and a constant"),
        ("[values.Active]\nyes = 'Y'\n' YES' = 'Y'", "spells ' YES' twice"),
        ("record_type = 'skill'", "for the record type 'skill', not 'poc'"),
        ("[columns]\nName = ' '", "blank header"),
    ],
)
def test_a_bad_mapping_is_refused_with_one_sentence(text: str, says: str):
    with pytest.raises(MappingInvalid) as refused:
        ColumnMapping.from_toml(text, "poc")
    assert says in str(refused.value)
    assert isinstance(refused.value, BulkpocError)
    assert "\n" not in str(refused.value).strip()


def test_an_unknown_record_type_is_refused():
    with pytest.raises(MappingInvalid, match="record type 'queue' does not exist"):
        ColumnMapping.from_toml("", "queue")


def test_mapping_renames_adds_constants_and_translates_spellings_a_column_at_a_time():
    mapping = ColumnMapping.from_toml(PARTNER)
    headers, data = table(
        ["Queue Name", "Phone Number", "Queue", "Routing Script", "IVR", "Notes"],
        ["Sales", "+15550100", "Sales Calls", "Main", " YES ", "n"],
        ["Help", "+15550101", "Support", "Main", "No", ""],
        ["Other", "+15550102", "Support", "Main", "maybe", ""],
    )
    mapped = apply_mapping(mapping, headers, data)
    assert mapped.headers == [
        "Name",
        "Point of Contact",
        "Skill",
        "Script",
        "IVR Reporting Enabled",
        "Notes",
        "Media Type",
    ]
    assert mapped.origins == (0, 1, 2, 3, 4, 5, None)
    assert mapped.data[4].tolist() == ["Y", "N", "maybe"]  # unknown spellings stay as sent
    assert mapped.data[5].tolist() == ["n", "", ""]  # only mapped columns are translated
    assert mapped.data[6].tolist() == ["Phone Call"] * 3
    assert list(mapped.data.columns) == list(range(7))
    assert mapped.file_headers(headers)["Point of Contact"] == "Phone Number"
    assert "Media Type" not in mapped.file_headers(headers)


def test_a_file_column_named_like_one_the_mapping_reads_elsewhere_is_left_out():
    mapping = ColumnMapping.from_toml("[columns]\nName = 'Agent'\n")
    headers, data = table(["Name", "Agent"], ["ignored", "used"])
    mapped = apply_mapping(mapping, headers, data)
    assert mapped.headers == ["Name"]
    assert mapped.data[0].tolist() == ["used"]


def test_one_file_column_may_feed_two_of_ours():
    mapping = ColumnMapping.from_toml("[columns]\nName = 'Queue'\nSkill = 'queue'\n")
    headers, data = table(["Queue"], ["Sales"])
    mapped = apply_mapping(mapping, headers, data)
    assert mapped.headers == ["Name", "Skill"]
    assert mapped.origins == (0, 0)


def test_a_file_without_a_mapped_header_fails_naming_the_closest_header():
    mapping = ColumnMapping.from_toml(PARTNER)
    headers, data = table(
        ["Queue Name", "Phone No", "Queue", "Routing Script", "Zebra"], ["a", "b", "c", "d", "e"]
    )
    with pytest.raises(FileRejected) as refused:
        apply_mapping(mapping, headers, data)
    assert str(refused.value) == (
        "The file does not fit its mapping: it has no columns 'Phone Number' (for Point of "
        "Contact; the closest in the file is 'Phone No') and 'IVR' (for IVR Reporting Enabled; "
        "no header in the file is close)."
    )


def test_the_closest_header_ignores_case_and_spaces():
    assert closest_header("Phone Number", ["Name", " phone  NUMBERS", "Skill"]) == "phone  NUMBERS"
    assert closest_header("Phone Number", ["Zebra"]) is None


# Any text a file's header or cell can hold: all but NUL (which a mapping refuses).
letters = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
names = st.text(letters, min_size=1, max_size=20).filter(lambda text: text.strip() != "")


@st.composite
def mappings(draw: st.DrawFn) -> ColumnMapping:
    rtype = RECORD_TYPES[draw(st.sampled_from(sorted(RECORD_TYPES)))]
    ours = list(rtype.headers)
    mapped = draw(st.lists(st.sampled_from(ours), unique=True))
    constant = [column for column in ours if column not in mapped]
    constants = draw(st.lists(st.sampled_from(constant), unique=True)) if constant else []
    spelt = draw(st.lists(st.sampled_from(ours), unique=True, max_size=3))
    return ColumnMapping(
        record_type=rtype.name,
        columns={column: draw(names) for column in mapped},
        constants={column: draw(st.text(letters, max_size=10)) for column in constants},
        values={
            column: draw(
                st.dictionaries(
                    st.text(letters, max_size=10), st.text(letters, max_size=10), max_size=4
                ).filter(lambda table: len({key.strip().casefold() for key in table}) == len(table))
            )
            for column in spelt
        },
        headers=tuple(draw(st.lists(st.text(letters, max_size=12), max_size=5))),
    )


@given(mappings())
def test_a_mapping_written_as_toml_reads_back_the_same(mapping: ColumnMapping):
    assert ColumnMapping.from_toml(mapping.to_toml()) == mapping
    assert ColumnMapping.from_toml(mapping.to_toml(), mapping.record_type) == mapping


@pytest.mark.parametrize(
    "data",
    [
        {"record_type": "poc", "columns": {"Skill": "Queue\ud800"}},  # JSON can spell it
        {"record_type": "poc", "columns": {"Sk\udc49ill": "Queue"}},
        {"record_type": "poc", "values": {"Media Type": {"Voice\x00": "Phone Call"}}},
        {"record_type": "poc", "headers": ["Queue", "\ud835"]},
        {"record_type": "poc", "sect\ud800ion": {}},
    ],
)
def test_a_mapping_holding_nul_or_an_unpaired_surrogate_is_refused_in_one_sentence(data):
    with pytest.raises(MappingInvalid) as refused:
        ColumnMapping.checked(data)
    str(refused.value).encode("utf-8")  # the answer can be sent as it is
    with pytest.raises(MappingInvalid):
        check_name("acme\ud800")
