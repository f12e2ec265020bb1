"""Finding points of contact in the store: search, filters, sort and pages, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkpoc.store.db import Store
from bulkpoc.store.pocs import SORTS, PocFilter

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


def names(store: Store, where: PocFilter = PocFilter(), **options) -> list[str]:  # noqa: B008
    rows, _total = store.search_pocs(where, **options)
    return [row.name for row in rows]


def test_every_poc_comes_back_with_its_references_by_name(pocs: Store) -> None:
    rows, total = pocs.search_pocs(PocFilter())
    assert total == 13
    chat = next(row for row in rows if row.name == "Website Chat")
    assert (chat.media_type, chat.skill, chat.script, chat.chat_profile) == (
        "Chat",
        "Web Chat",
        "Chat Router",
        "Default Chat",
    )
    assert chat.address.startswith("CHAT-")
    sales = next(row for row in rows if row.name == "Sales Hotline")
    assert (sales.address, sales.ivr_enabled, sales.active, sales.chat_profile) == (
        "+12025550100",
        True,
        True,
        None,
    )


def test_search_finds_part_of_a_name_or_an_address_in_any_case(pocs: Store) -> None:
    assert names(pocs, PocFilter(query="SUPPORT")) == [
        "After Hours Support",
        "Support Inbox",
        "Support Line",
    ]
    assert names(pocs, PocFilter(query="billing@example")) == ["Billing Inbox"]
    assert names(pocs, PocFilter(query="555-0")) == []  # addresses are stored as E.164
    assert names(pocs, PocFilter(query="2025550101")) == ["Support Line"]
    assert names(pocs, PocFilter(query="español")) == ["Chat en Español"]


def test_search_text_is_not_a_pattern(pocs: Store) -> None:
    assert names(pocs, PocFilter(query="%")) == []
    assert names(pocs, PocFilter(query="old_")) == ["Old Queue"]  # _ matches only itself


def test_chat_identifiers_are_found_whatever_the_case_typed(pocs: Store) -> None:
    rows, _ = pocs.search_pocs(PocFilter(query="Website Chat"))
    identifier = rows[0].address
    assert names(pocs, PocFilter(query=identifier.lower())) == ["Website Chat"]


def test_filters_by_media_type_skill_and_active_combine(pocs: Store) -> None:
    assert names(pocs, PocFilter(media_type="Email")) == [
        "Billing Inbox",
        "Old Queue",
        "Support Inbox",
    ]
    assert names(pocs, PocFilter(skill="support calls")) == [
        "After Hours Support",
        "Support Line",
    ]
    assert names(pocs, PocFilter(active="no")) == ["Old Queue"]
    assert names(pocs, PocFilter(media_type="Email", active="yes", query="in")) == [
        "Billing Inbox",
        "Support Inbox",
    ]
    assert pocs.search_pocs(PocFilter(skill="No Such Skill")) == ([], 0)


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_each_sort_orders_the_whole_set_both_ways(pocs: Store, sort: str) -> None:
    rows, _ = pocs.search_pocs(PocFilter(), sort=sort)
    backwards, _ = pocs.search_pocs(PocFilter(), sort=sort, descending=True)

    def key(row):
        value = getattr(row, sort)
        return (value.casefold() if isinstance(value, str) else value, row.id)

    assert [row.id for row in rows] == [row.id for row in sorted(rows, key=key)]
    assert [row.id for row in backwards] == [row.id for row in reversed(rows)]


def test_pages_split_the_matches_without_overlap_and_count_them_all(pocs: Store) -> None:
    seen = []
    for offset in (0, 5, 10):
        rows, total = pocs.search_pocs(PocFilter(), sort="name", limit=5, offset=offset)
        assert total == 13
        seen.extend(row.name for row in rows)
    assert len(seen) == 13
    assert seen == sorted(seen, key=str.casefold)
    assert pocs.search_pocs(PocFilter(), limit=5, offset=20) == ([], 13)


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
