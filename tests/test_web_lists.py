"""The lists of skills, scripts, chat profiles and numbers: searched, filtered and sorted
through their URL as the POC list is; the numbers list says which points of contact use each
number; the navigation links the lists a user may see, and a login lands on the first."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.domain.permissions import REFERENCE_DATA_EDIT, SKILLS_EDIT
from bulkpoc.store.db import Store
from tests.conftest import poc
from tests.web import Element, client_for, log_in, logged_in, page


def listed(client: TestClient, url: str) -> tuple[Element, list[list[str]]]:
    """The list page at ``url`` and its table's rows, each a list of its cells' text."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    html = page(response.text)
    tables = [table for table in html.all("table") if table.attrs.get("id") == "records"]
    rows = tables[0].all("tbody")[0].all("tr") if tables else []
    return html, [[cell.text for cell in row.all("td")] for row in rows]


def test_each_list_searches_filters_and_sorts_its_records(store: Store, settings: Settings) -> None:
    client = logged_in(store, settings)

    html, skills = listed(client, "/skills")
    headings = [th.text for th in html.all("thead")[0].all("th")]
    assert headings == ["Skill ID", "Name ▲", "Media Type", "Active", "Last Modified"]
    assert [row[1] for row in skills][:3] == ["Back Office", "Email Support", "Legacy Calls"]
    assert html.by_id("count").text == "9 skills."
    first = html.by_id("records").all("tbody")[0].all("a")[0]
    assert first.attrs["href"] == f"/skills/{skills[0][0]}"

    _, inactive = listed(client, "/skills?active=no&sort=name&dir=desc")
    assert [row[1] for row in inactive] == ["Retired Chat", "Old Email Queue", "Legacy Calls"]
    assert {row[3] for row in inactive} == {"N"}
    _, calls = listed(client, "/skills?q=CALLS&media_type=Phone+Call")
    assert [row[1] for row in calls] == ["Legacy Calls", "Sales Calls", "Support Calls"]

    html, scripts = listed(client, "/scripts?media_type=Email")
    assert [row[1] for row in scripts] == ["Email Router"]
    assert not html.has_id("active")  # scripts have no Active column to filter by
    sorted_link = html.all("thead")[0].all("a")[2]  # Media Type
    assert sorted_link.attrs["href"] == "/scripts?media_type=Email&sort=media_type"

    _, profiles = listed(client, "/chat-profiles?sort=name&dir=desc&media_type=Email")
    assert [row[1] for row in profiles] == ["Spanish Chat", "Default Chat"]  # no media type

    html, numbers = listed(client, "/numbers?q=%2B1415&sort=phone_number&dir=desc")
    assert [row[0] for row in numbers][:2] == ["+14155550209", "+14155550208"]
    assert len(numbers) == 10
    assert html.by_id("records").all("a")[4].attrs["href"] == "/numbers/%2B14155550209"

    html, none = listed(client, "/numbers?q=nothing-like-this")
    assert none == []
    assert html.by_id("count").text == "No numbers match."


def test_the_numbers_list_says_which_point_of_contact_uses_each_number(
    store: Store, settings: Settings, run
) -> None:
    rows = [
        poc(Name="Toll Free Sales", Point_of_Contact="+18005550300"),
        poc(Name="Toll Free Texts", Media_Type="SMS", Point_of_Contact="+18005550300",
            Skill="SMS Support", Script="SMS Router"),
    ]  # fmt: skip
    assert run(rows).counts.created == 2
    client = logged_in(store, settings)

    html, numbers = listed(client, "/numbers?q=%2B1800555030")
    assert [th.text for th in html.all("thead")[0].all("th")][1] == "Used by"  # beside it
    used = {row[0]: row[1] for row in numbers}
    assert used["+18005550300"] == "Toll Free Sales (Phone Call), Toll Free Texts (SMS)"
    assert used["+18005550301"] == "Free"
    links = html.by_id("records").all("td", "used-by")[0].all("a")
    assert [link.attrs["href"].startswith("/pocs/") for link in links] == [True, True]

    # Someone who may not see points of contact learns only that the number is taken.
    store.add_user("rita", [REFERENCE_DATA_EDIT])
    with client_for(store, settings) as other:
        log_in(other, store, "rita")
        _, numbers = listed(other, "/numbers?q=%2B1800555030")
    used = {row[0]: row[1] for row in numbers}
    assert used["+18005550300"] == "In use (2)"


def test_the_numbers_list_keeps_free_or_in_use_numbers(
    store: Store, settings: Settings, run
) -> None:
    rows = [
        poc(Name="Toll Free Sales", Point_of_Contact="+18005550300"),
        poc(Name="Toll Free Texts", Media_Type="SMS", Point_of_Contact="+18005550302",
            Skill="SMS Support", Script="SMS Router"),
    ]  # fmt: skip
    assert run(rows).counts.created == 2
    client = logged_in(store, settings)

    _html, every = listed(client, "/numbers?q=%2B1800555030")
    _, used = listed(client, "/numbers?q=%2B1800555030&use=used")
    _, free = listed(client, "/numbers?q=%2B1800555030&use=free")
    assert [row[0] for row in used] == ["+18005550300", "+18005550302"]
    assert {row[1] for row in free} == {"Free"}
    assert len(free) == len(every) - 2
    assert "+18005550301" in {row[0] for row in free}
    chosen = page(client.get("/numbers?use=free").text).by_id("use")
    assert [o.attrs.get("selected") is not None for o in chosen.all("option")] == [
        False, True, False,
    ]  # fmt: skip
    # The filter survives sorting and paging: the column links keep it.
    assert (
        "use=free"
        in page(client.get("/numbers?use=free").text).all("thead")[0].all("a")[0].attrs["href"]
    )
    assert not listed(client, "/skills")[0].has_id("use")  # numbers only


def test_the_navigation_links_the_lists_a_user_may_see_and_a_login_lands_on_the_first(
    store: Store, settings: Settings
) -> None:
    admin = logged_in(store, settings)
    assert admin.get("/").headers["location"] == "/pocs"
    nav = page(admin.get("/history").text).all("nav")[0]
    lists = ["/pocs", "/skills", "/scripts", "/chat-profiles", "/numbers"]
    assert [link.attrs["href"] for link in nav.all("a") if link.attrs["href"] in lists] == lists

    store.add_user("sam", [SKILLS_EDIT])
    with client_for(store, settings) as client:
        log_in(client, store, "sam")
        assert client.get("/").headers["location"] == "/skills"
        nav = page(client.get("/skills").text).all("nav")[0]
        shown = {link.attrs["href"] for link in nav.all("a")}
        assert "/skills" in shown
        assert not shown & {"/pocs", "/scripts", "/chat-profiles", "/numbers"}
        assert client.get("/numbers").status_code == 403
