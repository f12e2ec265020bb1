"""The Points of Contact list: searched, filtered, sorted and paged through its URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.store.db import Store
from bulkpoc.web.routes.pocs import COLUMNS, page_links
from tests.web import Element, client_for, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"


@pytest.fixture
def browser(store: Store, settings: Settings) -> Iterator[TestClient]:
    with client_for(store, settings) as client:
        yield log_in(client, store)


@pytest.fixture
def samples(store: Store, run) -> Store:
    """The 12 sample POCs and one inactive email queue."""
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    inactive = {
        "Name": "Old Queue",
        "Media Type": "Email",
        "Point of Contact": "old@example.com",
        "Skill": "Old Email Queue",
        "Script": "Email Router",
        "Active": "N",
    }
    assert run([inactive]).status.value == "succeeded"
    return store


@pytest.fixture
def many(samples: Store, run) -> Store:
    """133 POCs: the samples and 120 email queues, 'Queue 001' to 'Queue 120'."""
    rows = [
        {
            "Name": f"Queue {number:03d}",
            "Media Type": "Email",
            "Point of Contact": f"queue{number}@example.com",
            "Skill": "Email Support",
            "Script": "Email Router",
        }
        for number in range(1, 121)
    ]
    assert run(rows).status.value == "succeeded"
    return samples


def listed(client: TestClient, query: str = "") -> tuple[Element, list[str]]:
    """The page at ``/pocs?query`` and the names its table lists, in order."""
    response = client.get(f"/pocs?{query}")
    assert response.status_code == 200
    html = page(response.text)
    bodies = html.all("tbody")
    rows = bodies[0].all("tr") if bodies else []
    return html, [row.all("td")[1].text for row in rows]


def count(html: Element) -> str:
    return html.by_id("count").text


def test_the_list_needs_a_login(store: Store, settings: Settings) -> None:
    with client_for(store, settings) as client:
        response = client.get("/pocs?q=sales")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/pocs%3Fq%3Dsales"


def test_every_poc_is_listed_by_name_with_its_references(
    browser: TestClient, samples: Store
) -> None:
    html, names = listed(browser)
    assert count(html) == "13 points of contact."
    assert names == sorted(names, key=str.casefold)
    assert len(names) == 13
    headings = [th.text.rstrip(" ▲▼") for th in html.all("th")]
    assert headings == [
        "ID",
        "Name",
        "Media Type",
        "Point of Contact",
        "Skill",
        "Script",
        "IVR Reporting",
        "Chat Profile",
        "Active",
        "Last Modified",
    ]
    assert all(th.attrs.get("scope") == "col" for th in html.all("th"))
    chat = next(tr for tr in html.all("tr") if "Website Chat" in tr.text)
    cells = [td.text for td in chat.all("td")]
    assert cells[2:4] == ["Chat", cells[3]]
    assert cells[3].startswith("CHAT-")
    assert cells[4:9] == ["Web Chat", "Chat Router", "N", "Default Chat", "Y"]
    assert cells[9].endswith(" UTC")


def test_search_finds_part_of_a_name_or_address_in_any_case(
    browser: TestClient, samples: Store
) -> None:
    html, names = listed(browser, "q=SUPPORT")
    assert names == ["After Hours Support", "Support Inbox", "Support Line"]
    assert count(html) == "3 points of contact."
    assert html.by_id("q").attrs["value"] == "SUPPORT"  # the form shows what was asked
    assert listed(browser, "q=billing%40example")[1] == ["Billing Inbox"]
    assert listed(browser, "q=%25")[1] == []  # a percent sign is only a character


def test_filters_combine_and_the_form_keeps_them(browser: TestClient, samples: Store) -> None:
    html, names = listed(browser, "media_type=Email&active=yes")
    assert names == ["Billing Inbox", "Support Inbox"]
    selected = {
        select.attrs["id"]: [o.text for o in select.all("option") if "selected" in o.attrs]
        for select in html.all("select")
    }
    assert selected == {"media_type": ["Email"], "skill": [], "active": ["Active"]}
    assert listed(browser, "skill=support+calls")[1] == ["After Hours Support", "Support Line"]
    assert listed(browser, "active=no")[1] == ["Old Queue"]
    html, names = listed(browser, "q=zzz")
    assert names == []
    assert count(html) == "No points of contact match."
    assert any(a.text == "Show every point of contact" for a in html.all("a"))


def test_values_the_list_does_not_know_are_ignored(browser: TestClient, samples: Store) -> None:
    html, names = listed(browser, "media_type=Fax&active=maybe&sort=password&dir=up&page=-3")
    assert len(names) == 13
    assert names == sorted(names, key=str.casefold)
    assert count(html) == "13 points of contact."


def sort_link(html: Element, heading: str) -> tuple[str, dict[str, list[str]]]:
    """The heading's sort link and its query; the heading's aria-sort."""
    th = next(th for th in html.all("th") if th.text.rstrip(" ▲▼") == heading)
    href = th.all("a")[0].attrs["href"]
    return th.attrs.get("aria-sort", ""), parse_qs(urlsplit(href).query)


def test_headings_sort_one_way_then_the_other(browser: TestClient, samples: Store) -> None:
    html, _ = listed(browser)
    assert sort_link(html, "Name") == ("ascending", {"dir": ["desc"]})
    assert sort_link(html, "Skill") == ("", {"sort": ["skill"]})
    html, names = listed(browser, "sort=skill")
    assert sort_link(html, "Skill") == ("ascending", {"sort": ["skill"], "dir": ["desc"]})
    assert names[:2] == ["Claims Work Items", "Returns Work Items"]  # Back Office
    html, names = listed(browser, "sort=skill&dir=desc")
    assert sort_link(html, "Skill") == ("descending", {"sort": ["skill"]})
    assert names[:2] == ["Chat en Español", "Website Chat"]  # Web Chat; ties newest first
    assert names[-2:] == ["Returns Work Items", "Claims Work Items"]
    html, names = listed(browser, "sort=last_modified&dir=desc")
    assert names[0] == "Old Queue"  # the latest change


def test_sort_links_keep_the_filters(browser: TestClient, samples: Store) -> None:
    html, _ = listed(browser, "q=inbox&media_type=Email&page=1")
    assert sort_link(html, "Active")[1] == {
        "q": ["inbox"],
        "media_type": ["Email"],
        "sort": ["active"],
    }
    form = html.all("form", "filters")[0]
    assert form.attrs["method"] == "get"


@pytest.mark.parametrize("key", sorted(COLUMNS))
def test_every_sort_key_has_a_heading_that_sorts_by_it(
    browser: TestClient, samples: Store, key: str
) -> None:
    html, names = listed(browser, f"sort={key}")
    assert sort_link(html, COLUMNS[key])[0] == "ascending"
    assert len(names) == 13


def test_fifty_a_page_with_the_total_and_links_to_the_others(
    browser: TestClient, many: Store
) -> None:
    html, names = listed(browser, "q=queue")
    assert count(html) == "121 points of contact; rows 1–50, page 1 of 3."
    assert names[:3] == ["Old Queue", "Queue 001", "Queue 002"]
    assert len(names) == 50
    nav = html.all("nav", "pages")[0]
    links = {a.text: a.attrs["href"] for a in nav.all("a")}
    assert links["Next page"] == "/pocs?q=queue&page=2"
    assert "Previous page" not in links
    assert links["Page 3"] == "/pocs?q=queue&page=3"
    current = [a.text for a in nav.all("a") if a.attrs.get("aria-current") == "page"]
    assert current == ["Page 1"]
    html, names = listed(browser, "q=queue&page=3")
    assert count(html) == "121 points of contact; rows 101–121, page 3 of 3."
    assert names[0] == "Queue 100"
    assert len(names) == 21
    assert "Next page" not in {a.text for a in html.all("nav", "pages")[0].all("a")}


def test_a_page_past_the_end_shows_the_last(browser: TestClient, many: Store) -> None:
    html, names = listed(browser, "page=99")
    assert count(html) == "133 points of contact; rows 101–133, page 3 of 3."
    assert len(names) == 33


def test_page_links_show_the_ends_and_the_neighbours() -> None:
    assert page_links(1, 1) == [1]
    assert page_links(1, 3) == [1, 2, 3]
    assert page_links(10, 2000) == [1, None, 8, 9, 10, 11, 12, None, 2000]
    assert page_links(2000, 2000) == [1, None, 1998, 1999, 2000]


def test_names_are_shown_as_text_never_as_markup(browser: TestClient, store: Store, run) -> None:
    row = {
        "Name": "<script>alert('x')</script> Line",
        "Media Type": "Email",
        "Point of Contact": "x@example.com",
        "Skill": "Email Support",
        "Script": "Email Router",
    }
    assert run([row]).status.value == "succeeded"
    response = browser.get("/pocs")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Line" in response.text


def test_an_empty_store_says_so(browser: TestClient, store: Store) -> None:
    html, names = listed(browser)
    assert names == []
    assert count(html) == "There are no points of contact yet."
    links = {a.text: a.attrs["href"] for a in html.all("a")}
    assert links["Manage Multiple Points of Contact"] == "/manage/poc"
