"""The ``bulkpoc`` command end to end (SPEC §6) against a real SQLite file."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import click
import openpyxl
import pytest

from bulkpoc.cli import cli
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.formats import archive
from bulkpoc.services.auth import authenticate
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.archives import lying_workbook, ods_bytes
from tests.cli import Bulkpoc, command_in
from tests.conftest import poc, write_bytes, write_rows

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
NEW_POCS = SAMPLES / "new-pocs.csv"
CORPUS = Path(__file__).resolve().parent / "files" / "corpus"
MISTAKES = SAMPLES / "pocs-with-mistakes.csv"
COUNT_KEYS = {
    "total",
    "processed",
    "created",
    "updated",
    "unchanged",
    "removed",
    "skipped",
    "failed",
}
ERROR_KEYS = {"row", "column", "value", "code", "message"}


@pytest.fixture
def bulkpoc(tmp_path, monkeypatch) -> Bulkpoc:
    """The command on a SQLite file of its own in ``tmp_path``, not yet initialised."""
    return command_in(tmp_path, monkeypatch)


@pytest.fixture
def demo_db(bulkpoc) -> Bulkpoc:
    result = bulkpoc("init", "--demo")
    assert result.exit_code == 0, result.output
    return bulkpoc


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def xlsx_rows(path: Path) -> list[list[str]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [
        ["" if value is None else str(value) for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def poc_count(bulkpoc: Bulkpoc) -> int:
    store = bulkpoc.store()
    try:
        return store.count(schema.pocs)
    finally:
        store.engine.dispose()


# --- init ----------------------------------------------------------------------------------


def test_init_creates_the_store_and_an_admin_with_every_permission(bulkpoc):
    result = bulkpoc("init")
    assert result.exit_code == 0
    assert "admin" in result.stdout
    assert bulkpoc.db.is_file()
    users = bulkpoc("users", "list")
    assert users.exit_code == 0
    line = next(line for line in users.stdout.splitlines() if line.startswith("admin"))
    for permission in (
        "Points of Contact Create",
        "Skills Edit",
        "Points of Contact Deactivate",
    ):
        assert permission in line
    assert bulkpoc("init").exit_code == 0, "init twice is harmless"


def test_init_demo_loads_the_demo_reference_data(bulkpoc, tmp_path):
    result = bulkpoc("init", "--demo")
    assert result.exit_code == 0, result.output
    expected = {"skill": 9, "script": 6, "chat-profile": 2, "number": 35}
    for type_name, count in expected.items():
        out = tmp_path / f"{type_name}.csv"
        exported = bulkpoc("export", "--type", type_name, "--format", "csv", "-o", out)
        assert exported.exit_code == 0, exported.output
        assert len(csv_rows(out)) == count + 1
    assert poc_count(bulkpoc) == 0


# --- template and export -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("type_name", list(RECORD_TYPES))
def test_template_writes_the_headers_in_either_format(demo_db, tmp_path, type_name, fmt):
    out = tmp_path / "out" / f"template.{fmt}"
    result = demo_db("template", "--type", type_name, "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    rows = csv_rows(out) if fmt == "csv" else xlsx_rows(out)
    assert rows == [RECORD_TYPES[type_name].headers]


def test_template_defaults_to_points_of_contact(demo_db, tmp_path):
    out = tmp_path / "template.xlsx"
    assert demo_db("template", "--format", "xlsx", "-o", out).exit_code == 0
    assert xlsx_rows(out) == [RECORD_TYPES["poc"].headers]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_every_point_of_contact(demo_db, tmp_path, fmt):
    assert demo_db("import", NEW_POCS).exit_code == 0
    out = tmp_path / f"pocs.{fmt}"
    result = demo_db("export", "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    assert "12" in result.stdout
    rows = csv_rows(out) if fmt == "csv" else xlsx_rows(out)
    assert rows[0] == RECORD_TYPES["poc"].headers
    assert len(rows) == 13
    names = {row[2] for row in rows[1:]}
    assert {"Sales Hotline", "Website Chat", "Returns Work Items"} <= names
    # Uploading the export unchanged changes nothing.
    code, body = demo_db.json("import", out)
    assert code == 0
    assert body["counts"]["unchanged"] == 12


# --- import: exit codes and --json ---------------------------------------------------------


def test_import_exits_0_when_every_row_succeeds(demo_db):
    result = demo_db("import", NEW_POCS)
    assert result.exit_code == 0, result.output
    assert "12 created" in result.stdout
    assert poc_count(demo_db) == 12


def test_import_exits_1_when_some_rows_fail_and_lists_them(demo_db):
    result = demo_db("import", MISTAKES)
    assert result.exit_code == 1, result.output
    assert "Row 3" in result.stdout
    assert "Sales Cals" in result.stdout
    assert poc_count(demo_db) == 1


@pytest.mark.parametrize(
    "options",
    [
        ["--rows", "bogus"],
        ["--type", "bogus"],
        ["--file-type", "xls"],
        ["--frobnicate"],
    ],
)
def test_import_exits_2_on_a_usage_error(demo_db, options):
    result = demo_db("import", NEW_POCS, *options)
    assert result.exit_code == 2
    assert poc_count(demo_db) == 0


def test_import_without_a_path_is_a_usage_error(demo_db):
    assert demo_db("import").exit_code == 2


def _missing_skill_column(folder: Path) -> list[str]:
    headers = [h for h in RECORD_TYPES["poc"].headers if h != "Skill"]
    return [str(write_rows(folder / "no-skill.csv", [poc()], headers))]


def _csv_declared_as_xlsx(folder: Path) -> list[str]:
    return [str(write_rows(folder / "pocs.csv", [poc()])), "--file-type", "xlsx"]


def _xlsx_declared_as_csv(folder: Path) -> list[str]:
    path = folder / "pocs.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(RECORD_TYPES["poc"].headers)
    workbook.save(path)
    return [str(path), "--file-type", "csv"]


def _unknown_user(folder: Path) -> list[str]:
    return [str(write_rows(folder / "pocs.csv", [poc()])), "--as", "nobody"]


def _missing_file(folder: Path) -> list[str]:
    return [str(folder / "not-there.csv")]


def _lying_workbook(folder: Path) -> list[str]:
    # States 1 MB, inflates to 40 MB, past the 8 MB limit the test sets (issue 22, defect 1).
    return [str(write_bytes(folder / "bomb.xlsx", lying_workbook(40 * 1024**2, 1024**2)))]


def _wide_csv(folder: Path) -> list[str]:
    header = ",".join(f"Column {i}" for i in range(18_000))  # issue 22, defect 11
    return [str(write_bytes(folder / "wide.csv", header.encode() + b"\r\nA,b\r\n"))]


def _numbers_document(folder: Path) -> list[str]:
    return [str(CORPUS / "sheetjs" / "minimal_112.numbers")]  # issue 22, defect 12


FAILURES = {
    "lying workbook": (_lying_workbook, "bomb.xlsx expands to more data than an upload may hold"),
    "18,000 columns": (_wide_csv, "The file wide.csv has more than 1,000 columns"),
    "numbers": (_numbers_document, "minimal_112.numbers is an Apple Numbers spreadsheet"),
    "missing column": (_missing_skill_column, "Skill"),
    "csv declared as xlsx": (_csv_declared_as_xlsx, "File Type"),
    "xlsx declared as csv": (_xlsx_declared_as_csv, "File Type"),
    "unknown user": (_unknown_user, "nobody"),
    "missing file": (_missing_file, "not-there.csv"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_import_exits_3_when_the_batch_fails(demo_db, tmp_path, monkeypatch, case):
    monkeypatch.setattr(archive, "MAX_INFLATED", 8 * 1024**2)
    make, mentioned = FAILURES[case]
    args = make(tmp_path)
    result = demo_db("import", *args)
    assert result.exit_code == 3, result.output
    assert mentioned in result.output
    assert poc_count(demo_db) == 0

    code, body = demo_db.json("import", *args)
    assert code == 3
    assert body["status"] == "failed"
    assert isinstance(body["failure"], str)
    assert mentioned in body["failure"]


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_import_of_a_spreadsheet_with_extra_columns_exits_1_with_an_xlsx_error_file(
    demo_db, tmp_path, suffix
):
    # Two blank headers and "Notes" twice beside a failing row (issue 22, defects 10 and 12).
    headers = [*RECORD_TYPES["poc"].headers, "", "Notes", "", "Notes"]
    bad = poc(Skill="Sales Cals")
    rows = [headers, [*(bad.get(h, "") for h in headers[:11]), "a", "b", "c", "d"]]
    path = tmp_path / f"extra.{suffix}"
    if suffix == "ods":
        write_bytes(path, ods_bytes(rows))
    else:
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)

    code, body = demo_db.json("import", path)

    assert code == 1, body
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "unknown_reference")]
    error_file = Path(body["reports"]["error_file"])
    assert error_file.suffix == ".xlsx"
    assert xlsx_rows(error_file)[0] == [*headers, "Error"]
    assert xlsx_rows(error_file)[1][11:15] == ["a", "b", "c", "d"]


def test_import_json_has_the_documented_shape_and_values(demo_db):
    code, body = demo_db.json("import", MISTAKES, "--notify", "ops@example.com")
    assert code == 1
    assert {"batch_id", "status", "counts", "errors", "failure", "reports"} <= set(body)
    assert isinstance(body["batch_id"], int)
    assert body["status"] == "completed_with_errors"
    assert body["failure"] is None
    assert set(body["counts"]) == COUNT_KEYS
    assert body["counts"] == {
        "total": 15,
        "processed": 15,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "skipped": 0,
        "failed": 14,
    }
    assert all(set(error) == ERROR_KEYS for error in body["errors"])
    assert {error["row"] for error in body["errors"]} == set(range(3, 17))
    typo = [e for e in body["errors"] if e["row"] == 8]
    assert [(e["column"], e["value"], e["code"]) for e in typo] == [
        ("Skill", "Sales Cals", "unknown_reference")
    ]
    assert set(body["reports"]) == {"html", "error_file", "email", "changes"}
    for key in ("html", "error_file", "email", "changes"):
        assert Path(body["reports"][key]).is_file(), key
    # What the batch changed: the summary, and every change in changes.csv beside the report.
    assert body["changes"] == {"created": 1, "updated": 0, "removed": 0, "fields": []}
    assert Path(body["reports"]["changes"]).parent == Path(body["reports"]["html"]).parent
    # The JSON is the result object's own serialisation, which the API serves too.
    assert BatchResult.model_validate(body).model_dump(mode="json") == body
    assert body["dry_run"] is False
    assert body["record_type"] == "poc"
    assert body["file_name"] == MISTAKES.name
    assert body["user"] == "admin"

    code, body = demo_db.json("import", NEW_POCS)
    assert code == 0
    assert body["status"] == "succeeded"
    assert body["errors"] == []
    assert body["counts"]["created"] == 12
    assert body["reports"]["error_file"] is None
    assert body["reports"]["email"] is None


def test_import_suggests_the_closest_name_for_an_unknown_skill(demo_db, tmp_path):
    path = write_rows(tmp_path / "typo.csv", [poc(Skill="Sales Cals")])
    code, body = demo_db.json("import", path)
    assert code == 1
    assert body["errors"] == [
        {
            "row": 2,
            "column": "Skill",
            "value": "Sales Cals",
            "code": "unknown_reference",
            "message": "Skill 'Sales Cals' does not exist; did you mean 'Sales Calls'? Otherwise "
            "use the name of an existing skill (download the skill export for the list).",
        }
    ]
    shown = " ".join(demo_db("import", path, "--dry-run").stdout.split())
    assert "did you mean 'Sales Calls'?" in shown


def test_import_report_dir_option_puts_the_reports_there(demo_db, tmp_path):
    folder = tmp_path / "elsewhere"
    code, body = demo_db.json("import", MISTAKES, "--report-dir", folder)
    assert code == 1
    for key in ("html", "error_file"):
        path = Path(body["reports"][key])
        assert path.is_file()
        assert folder in path.parents


def test_import_rows_changed_processes_only_marked_rows(demo_db, tmp_path):
    rows = [
        poc(Name="Marked", Row_Changed="Y"),
        poc(Name="Not Marked", Point_of_Contact="+12025550101"),
        poc(Name="Broken But Not Marked", Skill="No Such Skill", Point_of_Contact="+12025550102"),
    ]
    path = write_rows(tmp_path / "changed.csv", rows)
    code, body = demo_db.json("import", path, "--rows", "changed")
    assert code == 0
    assert body["counts"]["total"] == 3
    assert body["counts"]["processed"] == 1
    assert body["counts"]["created"] == 1
    assert body["counts"]["skipped"] == 2
    assert poc_count(demo_db) == 1


def test_import_dry_run_reports_but_leaves_the_store_unchanged(demo_db, tmp_path):
    before = tmp_path / "before.csv"
    after = tmp_path / "after.csv"
    demo_db("export", "--type", "number", "-o", before)
    code, body = demo_db.json("import", NEW_POCS, "--dry-run")
    assert code == 0
    assert body["counts"]["created"] == 12
    assert poc_count(demo_db) == 0
    demo_db("export", "--type", "number", "-o", after)
    assert before.read_bytes() == after.read_bytes()
    assert body["changes"]["created"] == 12  # what it would change, and the file of it
    assert Path(body["reports"]["changes"]).read_text(encoding="utf-8-sig").count("(created)") == 12
    text = demo_db("import", NEW_POCS, "--dry-run")
    assert "dry run" in text.stdout.lower()
    assert "Changes it would make:\n  Created: 12 records\n" in text.stdout
    assert "Changes file: " in text.stdout
    assert poc_count(demo_db) == 0


def test_import_all_or_nothing_applies_nothing_when_a_row_fails(demo_db):
    code, body = demo_db.json("import", MISTAKES, "--all-or-nothing")
    assert code == 3
    assert body["status"] == "failed"
    assert poc_count(demo_db) == 0


# --- history and users -----------------------------------------------------------------------


def test_history_lists_batches_and_filters_by_status(demo_db, tmp_path):
    assert demo_db("import", NEW_POCS).exit_code == 0
    assert demo_db("import", MISTAKES).exit_code == 1
    missing = write_rows(tmp_path / "nocols.csv", [{"Foo": "x"}], ["Foo"])
    assert demo_db("import", missing).exit_code == 3

    listing = demo_db("history")
    assert listing.exit_code == 0
    for name in ("new-pocs.csv", "pocs-with-mistakes.csv", "nocols.csv"):
        assert name in listing.stdout

    failed = demo_db("history", "--status", "failed")
    assert failed.exit_code == 0
    assert "nocols.csv" in failed.stdout
    assert "new-pocs.csv" not in failed.stdout
    assert "pocs-with-mistakes.csv" not in failed.stdout

    batches = json.loads(demo_db("history", "--json").stdout)
    by_file = {batch["file_name"]: batch for batch in batches}
    assert by_file["new-pocs.csv"]["status"] == "succeeded"
    assert by_file["pocs-with-mistakes.csv"]["status"] == "completed_with_errors"
    assert by_file["pocs-with-mistakes.csv"]["failed"] == 14
    assert by_file["nocols.csv"]["status"] == "failed"
    assert by_file["new-pocs.csv"]["source"] == "cli"
    assert by_file["new-pocs.csv"]["user_name"] == "admin"
    assert Path(by_file["new-pocs.csv"]["report_path"]).is_file()

    errors_only = json.loads(
        demo_db("history", "--status", "completed_with_errors", "--json").stdout
    )
    assert [batch["file_name"] for batch in errors_only] == ["pocs-with-mistakes.csv"]

    assert demo_db("history", "--status", "bogus").exit_code == 2


def test_users_add_then_import_as_that_user(demo_db):
    added = demo_db("users", "add", "carol", "--permission", "Points of Contact Create")
    assert added.exit_code == 0, added.output
    code, body = demo_db.json("import", NEW_POCS, "--as", "carol")
    assert code == 0, body
    assert body["counts"]["created"] == 12
    batches = json.loads(demo_db("history", "--json").stdout)
    assert batches[0]["user_name"] == "carol"


def test_import_as_a_user_without_the_permission_fails_naming_it(demo_db):
    assert demo_db("users", "add", "dave", "--permission", "Skills Edit").exit_code == 0
    result = demo_db("import", NEW_POCS, "--as", "dave")
    assert result.exit_code == 3
    assert "Points of Contact Create" in result.output
    assert poc_count(demo_db) == 0


def test_users_add_with_an_unknown_permission_is_a_usage_error(demo_db):
    assert demo_db("users", "add", "erin", "--permission", "Fly").exit_code == 2


# --- a store that was never initialised ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["history"],
        ["export", "-o", "out.csv"],
        ["template", "--format", "xlsx", "-o", "out.xlsx"],
        ["import", str(NEW_POCS)],
        ["users", "add", "carol", "--permission", "Skills Edit"],
        ["users", "list"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_store_never_initialised_gives_one_sentence(bulkpoc, args):
    result = bulkpoc(*args)
    assert result.exit_code != 0
    message = (result.stdout + result.stderr).strip()
    assert len(message.splitlines()) == 1, message
    assert "init" in message


def test_import_json_without_a_store_is_a_failed_result_with_no_batch(bulkpoc):
    code, body = bulkpoc.json("import", NEW_POCS)
    assert code == 3
    result = BatchResult.model_validate(body)
    assert (result.batch_id, result.status) == (None, "failed")
    assert result.failure_code == "store_not_ready"
    assert "bulkpoc init" in (result.failure or "")
    assert result.counts.total == 0


def test_a_store_that_cannot_be_opened_gives_one_sentence(bulkpoc, tmp_path):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    for args in (["history"], ["import", str(NEW_POCS)], ["init"]):
        result = bulkpoc(*args, db=url)
        assert result.exit_code != 0
        message = (result.stdout + result.stderr).strip()
        assert len(message.splitlines()) == 1, message


# --- help and demo -------------------------------------------------------------------------


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_and_option_has_help(bulkpoc):
    assert (cli.help or "").strip()
    commands = list(_commands(cli))
    names = {" ".join(path) for path, _ in commands}
    assert {"init", "template", "export", "import", "history", "users add", "demo"} <= names
    assert {"users passwd", "tokens create", "tokens list", "tokens revoke"} <= names
    for path, command in [((), cli), *commands]:
        assert (command.help or command.short_help or "").strip(), path
        for param in command.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip(), (path, param.name)
        result = bulkpoc(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout


def test_demo_writes_every_file_it_prints(bulkpoc, tmp_path):
    folder = tmp_path / "demo"
    result = bulkpoc("demo", "--dir", folder)
    assert result.exit_code == 0, result.output
    printed = re.findall(
        r"(?:(?:Report|Error file|Email): |template |to )(\S+\.(?:html|csv|eml|xlsx))$",
        result.stdout,
        flags=re.MULTILINE,
    )
    paths = [Path(path) for path in printed]
    assert len(paths) >= 7  # template, three reports, error file, email, export
    for path in paths:
        assert path.is_file(), path
    suffixes = {path.suffix for path in paths}
    assert {".html", ".csv", ".eml", ".xlsx"} <= suffixes
    assert all(folder in path.resolve().parents for path in paths)


def test_demo_admin_logs_in_with_the_password_it_prints(bulkpoc, tmp_path):
    folder = tmp_path / "demo"
    result = bulkpoc("demo", "--dir", folder)
    assert result.exit_code == 0, result.output
    assert "web UI login: admin, password bulkpoc-demo" in result.stdout
    store = Store(f"sqlite:///{folder / 'bulkpoc.db'}")
    assert authenticate(store, "admin", "bulkpoc-demo").name == "admin"
    store.engine.dispose()
