"""Finding records in the store: search, filters, sort and pages, and one record by its key,
for every record type, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.db import Store
from bulkpoc.store.listing import COLLECTIONS, RecordFilter, filters, sort_keys

POC = RECORD_TYPES["poc"]

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"


@pytest.fixture
def pocs(store: Store, run) -> Store:
    """The 12 sample POCs, and 'Old Queue' (inactive, on an inactive skill)."""
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    result = run(
        [
            {
                "Name": "Old Queue",
                "Media Type": "Email",
                "Point of Contact": "old_queue@example.com",
                "Skill": "Old Email Queue",
                "Script": "Email Router",
                "Active": "N",
            }
        ]
    )
    assert result.status.value == "succeeded", result.errors
    return store


def names(store: Store, where: RecordFilter = RecordFilter(), **options) -> list[str]:  # noqa: B008
    rows, _total = store.search_records(POC, where, **options)
    return [row["name"] for row in rows]


def test_every_poc_comes_back_with_its_references_by_name(pocs: Store) -> None:
    rows, total = pocs.search_records(POC, RecordFilter())
    assert total == 13
    chat = next(row for row in rows if row["name"] == "Website Chat")
    assert (chat["media_type"], chat["skill"], chat["script"], chat["chat_profile"]) == (
        "Chat",
        "Web Chat",
        "Chat Router",
        "Default Chat",
    )
    assert chat["point_of_contact"].startswith("CHAT-")
    sales = next(row for row in rows if row["name"] == "Sales Hotline")
    fields = ("point_of_contact", "ivr_reporting_enabled", "active", "chat_profile")
    assert tuple(sales[field] for field in fields) == (
        "+12025550100",
        True,
        True,
        None,
    )


def test_search_finds_part_of_a_name_or_an_address_in_any_case(pocs: Store) -> None:
    assert names(pocs, RecordFilter(query="SUPPORT")) == [
        "After Hours Support",
        "Support Inbox",
        "Support Line",
    ]
    assert names(pocs, RecordFilter(query="billing@example")) == ["Billing Inbox"]
    assert names(pocs, RecordFilter(query="555-0")) == []  # addresses are stored as E.164
    assert names(pocs, RecordFilter(query="2025550101")) == ["Support Line"]
    assert names(pocs, RecordFilter(query="español")) == ["Chat en Español"]


def test_search_text_is_not_a_pattern(pocs: Store) -> None:
    assert names(pocs, RecordFilter(query="%")) == []
    assert names(pocs, RecordFilter(query="old_")) == ["Old Queue"]  # _ matches only itself


def test_a_search_or_filter_holding_nul_finds_nothing_on_every_backend(pocs: Store) -> None:
    # No record holds a NUL, and PostgreSQL refuses one in text: the API answered 500.
    assert names(pocs, RecordFilter(query="Support\x00")) == []
    assert names(pocs, RecordFilter(skill="Sales\x00Calls")) == []
    numbers = RECORD_TYPES["number"]
    assert pocs.search_records(numbers, RecordFilter(query="\x00"))[1] == 0
    assert pocs.find_record(numbers, "+1202\x00") is None


def test_chat_identifiers_are_found_whatever_the_case_typed(pocs: Store) -> None:
    rows, _ = pocs.search_records(POC, RecordFilter(query="Website Chat"))
    identifier = rows[0]["point_of_contact"]
    assert names(pocs, RecordFilter(query=identifier.lower())) == ["Website Chat"]


def test_filters_by_media_type_skill_and_active_combine(pocs: Store) -> None:
    assert names(pocs, RecordFilter(media_type="Email")) == [
        "Billing Inbox",
        "Old Queue",
        "Support Inbox",
    ]
    assert names(pocs, RecordFilter(skill="support calls")) == [
        "After Hours Support",
        "Support Line",
    ]
    assert names(pocs, RecordFilter(active="no")) == ["Old Queue"]
    assert names(pocs, RecordFilter(media_type="Email", active="yes", query="in")) == [
        "Billing Inbox",
        "Support Inbox",
    ]
    assert pocs.search_records(POC, RecordFilter(skill="No Such Skill")) == ([], 0)


@pytest.mark.parametrize("sort", sort_keys(POC))
def test_each_sort_orders_the_whole_set_both_ways(pocs: Store, sort: str) -> None:
    rows, _ = pocs.search_records(POC, RecordFilter(), sort=sort)
    backwards, _ = pocs.search_records(POC, RecordFilter(), sort=sort, descending=True)

    def key(row):
        value = row[sort] if row[sort] is not None else ""
        return (value.casefold() if isinstance(value, str) else value, row["id"])

    assert [row["id"] for row in rows] == [row["id"] for row in sorted(rows, key=key)]
    assert [row["id"] for row in backwards] == [row["id"] for row in reversed(rows)]


def test_pages_split_the_matches_without_overlap_and_count_them_all(pocs: Store) -> None:
    seen = []
    for offset in (0, 5, 10):
        rows, total = pocs.search_records(POC, RecordFilter(), sort="name", limit=5, offset=offset)
        assert total == 13
        seen.extend(row["name"] for row in rows)
    assert len(seen) == 13
    assert seen == sorted(seen, key=str.casefold)
    assert pocs.search_records(POC, RecordFilter(), limit=5, offset=20) == ([], 13)


def test_skill_names_are_offered_in_name_order(store: Store) -> None:
    assert store.skill_names() == [
        "Back Office",
        "Email Support",
        "Legacy Calls",
        "Old Email Queue",
        "Retired Chat",
        "Sales Calls",
        "SMS Support",
        "Support Calls",
        "Web Chat",
    ]


def test_a_poc_is_found_by_its_id_with_its_references_and_their_ids(pocs: Store) -> None:
    rows, _ = pocs.search_records(POC, RecordFilter(query="Website Chat"))
    found = pocs.find_record(POC, rows[0]["id"])
    assert found == rows[0]
    assert found is not None
    skill = pocs.find_record(RECORD_TYPES["skill"], found["skill_id"])
    assert skill is not None
    assert skill["name"] == "Web Chat"
    assert pocs.find_record(POC, 999_999) is None
    assert pocs.find_record(POC, "1") is None  # a system key is a number


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_every_record_type_is_listed_sorted_paged_and_found_by_its_key(
    store: Store, run, name: str
) -> None:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    rtype = COLLECTIONS[name]
    rows, total = store.search_records(rtype, limit=1000)
    assert total == len(rows) > 1
    for sort in sort_keys(rtype):
        ordered, _ = store.search_records(rtype, sort=sort, limit=1000)
        backwards, _ = store.search_records(rtype, sort=sort, descending=True, limit=1000)
        assert len(ordered) == total
        assert backwards == list(reversed(ordered)), sort
    first, _ = store.search_records(rtype, limit=1, offset=1)
    assert first == [rows[1]]
    key = next(iter(rows[0]))
    assert store.find_record(rtype, rows[0][key]) == rows[0]
    assert key == ("phone_number" if name == "numbers" else "id")


def test_filters_apply_to_the_types_that_have_their_columns(store: Store) -> None:
    assert {name: filters(rtype) for name, rtype in COLLECTIONS.items()} == {
        "pocs": ("query", "media_type", "skill", "active"),
        "skills": ("query", "media_type", "active"),
        "scripts": ("query", "media_type"),
        "chat-profiles": ("query",),
        "numbers": ("query", "use"),
    }
    skills = RECORD_TYPES["skill"]
    rows, _ = store.search_records(skills, RecordFilter(query="SUPPORT", active="yes"))
    assert [row["name"] for row in rows] == ["Email Support", "SMS Support", "Support Calls"]
    numbers, total = store.search_records(RECORD_TYPES["number"], RecordFilter(query="555010"))
    assert total == len(numbers) > 0
    assert all("555010" in row["phone_number"] for row in numbers)
