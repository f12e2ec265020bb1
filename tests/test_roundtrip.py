"""Round trip (SPEC §3): any valid set of points of contact, exported and uploaded unchanged,
imports with zero changes, in CSV and in XLSX."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.formats.csv_format import FORMULA_START
from bulkpoc.output.exports import write_records
from bulkpoc.services.demo import load_demo_reference_data
from bulkpoc.store.db import Store
from tests.conftest import flatten, write_rows

VOICE_NUMBERS = [f"+1202555{100 + i:04d}" for i in range(20)]
SMS_NUMBERS = [f"+1415555{200 + i:04d}" for i in range(10)]


def fold(name: str) -> str:
    """Names are unique case-insensitively (and regardless of repeated inner spaces)."""
    return " ".join(name.casefold().split())


def stored_name(typed: str) -> str:
    """The name a typed cell becomes: an apostrophe before formula text is the export's escape,
    so ``''0`` in a file is the name ``'0``."""
    return re.sub("^'(?=" + FORMULA_START + ")", "", typed)


printable = st.characters(
    exclude_categories=("Cc", "Cs", "Co", "Cn", "Cf", "Zl", "Zp", "Zs"),
    include_characters=" ",
)
plain_names = st.text(printable, min_size=1, max_size=110)
risky_names = st.tuples(st.sampled_from(["=", "+", "-", "@", "'", "''"]), plain_names).map("".join)
poc_names = (
    st.one_of(plain_names, risky_names)
    .map(str.strip)
    .filter(lambda name: 1 <= len(name) <= 100 and name.isprintable())
)


def phone_formats(e164: str) -> list[str]:
    digits = e164[2:]
    return [
        e164,
        f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        digits,
        f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
    ]


@st.composite
def poc_rows(draw) -> list[dict[str, str]]:
    names = draw(
        st.lists(poc_names, min_size=1, max_size=6, unique_by=lambda n: fold(stored_name(n)))
    )
    rows = []
    for i, name in enumerate(names):
        kind = draw(
            st.sampled_from(["phone", "phone_inactive", "sms", "email", "chat", "work_item"])
        )
        if kind in {"phone", "phone_inactive"}:
            row = {
                "Media Type": draw(st.sampled_from(["Phone Call", "phone", "VOICE"])),
                "Point of Contact": draw(st.sampled_from(phone_formats(VOICE_NUMBERS[i]))),
                "Skill": draw(st.sampled_from(["Sales Calls", "support calls"])),
                "Script": draw(st.sampled_from(["Main IVR", "After Hours IVR"])),
                "IVR Reporting Enabled": draw(st.sampled_from(["Y", "N", ""])),
                "Active": draw(st.sampled_from(["Y", ""])),
            }
            if kind == "phone_inactive":
                row.update({"Skill": "Legacy Calls", "Active": "N"})
        elif kind == "sms":
            row = {
                "Media Type": draw(st.sampled_from(["SMS", "text"])),
                "Point of Contact": draw(st.sampled_from(phone_formats(SMS_NUMBERS[i]))),
                "Skill": "SMS Support",
                "Script": "SMS Router",
            }
        elif kind == "email":
            address = draw(st.sampled_from([f"user{i}@example.com", f"Team.Lead{i}@Example.COM"]))
            row = {
                "Media Type": draw(st.sampled_from(["Email", "e-mail"])),
                "Point of Contact": address,
                "Skill": "Email Support",
                "Script": "Email Router",
                "IVR Reporting Enabled": draw(st.sampled_from(["N", ""])),
            }
        elif kind == "chat":
            row = {
                "Media Type": "Chat",
                "Skill": "Web Chat",
                "Script": "Chat Router",
                "Chat Profile": draw(st.sampled_from(["", "Default Chat", "Spanish Chat"])),
            }
        else:
            row = {"Media Type": "Work Item", "Skill": "Back Office", "Script": "Work Item Router"}
        row["Name"] = name
        rows.append(row)
    return rows


def fresh_store(folder: Path) -> tuple[Store, Settings]:
    folder.mkdir(parents=True)
    store = Store(f"sqlite:///{folder / 'x.db'}")
    store.initialise()
    store.add_user("admin", PERMISSIONS)
    config = Settings.from_env({}).model_copy(
        update={"report_dir": folder / "reports", "outbox_dir": folder / "outbox"}
    )
    for result in load_demo_reference_data(store, config):
        assert result.status.value == "succeeded", result.failure
    return store, config


_examples = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=poc_rows())
def test_any_valid_pocs_round_trip_through_csv_and_xlsx_with_zero_changes(tmp_path, rows):
    folder = tmp_path / f"example-{next(_examples)}"
    store, config = fresh_store(folder)
    try:
        first = run_import(store, write_rows(folder / "new.csv", rows), ImportOptions(), config)
        assert first.status.value == "succeeded", (
            first.failure,
            flatten(first.errors, ("row", "column", "value", "message")),
        )
        assert first.counts.created == len(rows)

        for fmt in ("csv", "xlsx"):
            export = folder / f"export.{fmt}"
            written = write_records(store, RECORD_TYPES["poc"], fmt, export, template=False)
            assert written == len(rows)
            again = run_import(store, export, ImportOptions(), config)
            assert again.status.value == "succeeded", (
                fmt,
                again.failure,
                flatten(again.errors, ("row", "column", "value", "message")),
            )
            counts = again.counts
            assert (counts.created, counts.updated, counts.failed) == (0, 0, 0), (fmt, counts)
            assert counts.unchanged == len(rows), (fmt, counts)
    finally:
        store.engine.dispose()
