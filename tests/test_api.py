"""The JSON API (issue 11, item 4): tokens, permissions, uploads, progress, results, error
files, the run history, templates and exports, on both stores, through the real app."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import get_args

import openpyxl
import pytest
from click.testing import CliRunner

import bulkpoc.web.app  # noqa: F401  (its imports put every API route on the router)
from bulkpoc.batch.submit import load_result, run_import
from bulkpoc.cli import cli
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.formats import archive
from bulkpoc.output.exports import write_records
from bulkpoc.services.auth import create_token, revoke_token
from bulkpoc.store.db import Store
from bulkpoc.web import access
from bulkpoc.web.api import router
from bulkpoc.web.api_models import RecordTypeName
from bulkpoc.web.downloads import download_name
from bulkpoc.web.uploads import display_name
from tests.archives import lying_workbook, ods_bytes
from tests.cli import Bulkpoc
from tests.conftest import poc, write_bytes, write_rows
from tests.test_jobs import on_postgres
from tests.web import api_client, one_sentence, poll_until_finished, processed, run_workers

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
NEW_POCS = SAMPLES / "new-pocs.csv"
MISTAKES = SAMPLES / "pocs-with-mistakes.csv"
CORPUS = Path(__file__).resolve().parent / "files" / "corpus"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def token(store: Store) -> str:
    return create_token(store, "partner", "admin")


@pytest.fixture
def api(store, settings, token):
    with api_client(store, settings, token) as client:
        yield client


def upload(client, path: Path, headers: dict | None = None, **options: object):
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/batches",
            files={"file": (path.name, handle)},
            data={key: str(value).lower() for key, value in options.items()},
            headers=headers or {},
        )


# --- tokens and permissions -----------------------------------------------------------------

API_CALLS = [
    (
        method,
        re.sub(
            r"{key(:\w+)?}", "1" if "/numbers/" not in route.path else "+12025550100", route.path
        )
        .replace("{batch_id}", "1")
        .format(record_type="poc", file_format="csv", collection="pocs", record_id="1", name="x"),
    )
    for route in access.routes(router.routes)  # the records' routes are an included router
    for method in route.methods
]


@pytest.mark.parametrize(("method", "path"), API_CALLS, ids=[" ".join(c) for c in API_CALLS])
def test_every_call_needs_a_valid_token(store, settings, token, method, path):
    before = store.count_history()
    with api_client(store, settings) as anonymous:
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Basic {token}"},
            {"Authorization": token},
        ):
            response = anonymous.request(method, path, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "bulkpoc tokens create" in one_sentence(response)
    assert store.count_history() == before


def test_a_revoked_token_is_refused_at_once(api, store):
    assert api.get("/api/v1/batches").status_code == 200
    revoke_token(store, "partner")
    refused = api.get("/api/v1/batches")
    assert refused.status_code == 401
    one_sentence(refused)


def test_a_disabled_users_token_is_refused_at_once_and_works_again_when_enabled(
    api, store, tmp_path
):
    assert api.get("/api/v1/batches").status_code == 200
    disabled = Bulkpoc(tmp_path)("users", "disable", "admin", db=store.url)
    assert disabled.exit_code == 0, disabled.output
    refused = api.get("/api/v1/batches")
    assert refused.status_code == 401
    one_sentence(refused)
    assert Bulkpoc(tmp_path)("users", "enable", "admin", db=store.url).exit_code == 0
    assert api.get("/api/v1/batches").status_code == 200


def test_the_token_acts_with_its_users_permissions(store, settings, api, tmp_path):
    store.add_user("sam", ["Skills Edit"])
    poc_batch = upload(api, NEW_POCS).json()["batch_id"]
    with api_client(store, settings, create_token(store, "sams", "sam")) as sam:
        refused = upload(sam, NEW_POCS)
        assert refused.status_code == 403
        assert one_sentence(refused) == (
            "sam cannot upload Points of Contact: it needs the 'Points of Contact Create' "
            "permission."
        )
        for path in (
            "/api/v1/templates/poc.csv",
            "/api/v1/exports/poc.xlsx",
            f"/api/v1/batches/{poc_batch}",
            f"/api/v1/batches/{poc_batch}/errors",
        ):
            response = sam.get(path)
            assert response.status_code == 403, path
            assert "'Points of Contact Create'" in one_sentence(response)
        assert sam.get("/api/v1/templates/skill.csv").status_code == 200
        assert sam.get(f"/api/v1/batches/{poc_batch}/progress").status_code == 200
        skills = write_rows(
            tmp_path / "skills.csv",
            [{"Name": "Night Calls", "Media Type": "Phone Call", "Active": "Y"}],
            RECORD_TYPES["skill"].headers,
        )
        [accepted] = processed(sam, store, settings, upload(sam, skills, record_type="skill"))
    assert (accepted["status"], accepted["user"], accepted["source"]) == ("succeeded", "sam", "api")
    assert [b["user_name"] for b in store.history(limit=2)] == ["sam", "admin"]


# --- upload, progress, result, error file ----------------------------------------------------


def test_an_upload_gives_the_same_result_and_error_file_as_an_import(store, settings, api):
    expected = run_import(store, MISTAKES, ImportOptions(dry_run=True), settings)

    answer = upload(api, MISTAKES, rows="all", dry_run=False, all_or_nothing=False)
    assert answer.status_code == 202
    batch_id = answer.json()["batch_id"]
    assert answer.headers["location"] == f"/api/v1/batches/{batch_id}"
    run_workers(store, settings)
    polled = poll_until_finished(api, batch_id)
    assert polled[-1] == {
        "batch_id": batch_id,
        "status": "completed_with_errors",
        "stage": None,
        "done": 0,
        "total": 0,
        "detail": None,
        "finished": True,
        "message": "Finished: completed with errors.",
    }

    result = api.get(answer.headers["location"]).json()
    assert result == load_result(store, batch_id).model_dump(mode="json") | {
        "reports": {
            "html": f"/api/v1/batches/{batch_id}/report.html",
            "error_file": f"/api/v1/batches/{batch_id}/errors",
            "email": None,
            "changes": f"/api/v1/batches/{batch_id}/changes.csv",
        }
    }
    assert result["counts"] == expected.counts.model_dump()
    assert result["errors"] == [
        {"row": e.row, "column": e.column, "value": e.value, "code": e.code, "message": e.message}
        for e in expected.errors
    ]
    assert (result["source"], result["user"], result["file_name"]) == (
        "api",
        "admin",
        MISTAKES.name,
    )
    assert (result["applied"], result["dry_run"]) == (True, False)

    errors = api.get(f"/api/v1/batches/{batch_id}/errors")
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    assert 'filename="pocs-with-mistakes-errors.csv"' in errors.headers["content-disposition"]
    assert errors.content == Path(expected.reports.error_file or "").read_bytes()
    rows = list(csv.DictReader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert len(rows) == expected.counts.failed
    assert all(row["Error"] for row in rows)


def test_a_batch_answers_the_same_object_as_import_json_timings_included(
    store, settings, api, tmp_path
):
    """The README says `GET /api/v1/batches/{id}` is the object `bulkpoc import --json` prints:
    the stage timings are kept with the batch's result, not only in the importing process."""
    argv = ["--db", store.url, "import", str(MISTAKES), "--json"]
    argv += ["--report-dir", str(tmp_path / "reports")]
    ran = CliRunner().invoke(cli, argv, prog_name="bulkpoc")
    assert ran.exit_code == 1, ran.output  # completed with errors
    imported = json.loads(ran.stdout)
    assert set(imported["timings"]) == {"snapshot", "read", "validate", "plan", "apply"}
    answered = api.get(f"/api/v1/batches/{imported['batch_id']}").json()
    assert answered["timings"] == imported["timings"]
    # The same object, but for where its files are: the API's URLs, not the server's paths.
    url = f"/api/v1/batches/{imported['batch_id']}"
    links = {"html": f"{url}/report.html", "error_file": f"{url}/errors", "email": None}
    links["changes"] = f"{url}/changes.csv"
    assert answered == imported | {"reports": links}


@on_postgres[0]
@on_postgres[1]
def test_a_queued_batch_says_so_until_a_worker_runs_it(store, settings, api):
    # On SQLite the server runs a batch at once; on PostgreSQL it waits for a worker.
    answer = upload(api, NEW_POCS)
    assert answer.status_code == 202
    queued = answer.json()
    assert (queued["status"], queued["finished"], queued["stage"]) == ("queued", False, None)
    result = api.get(answer.headers["location"]).json()
    assert (result["status"], result["counts"]["total"]) == ("queued", 0)
    assert "has not finished" in one_sentence(api.get(f"{answer.headers['location']}/errors"))
    run_workers(store, settings)
    assert poll_until_finished(api, queued["batch_id"])[-1]["status"] == "succeeded"


def test_the_options_reach_the_batch(store, settings, api, tmp_path):
    rows = [poc(Name="Marked", Row_Changed="Y"), poc(Name="Left", Point_of_Contact="+12025550101")]
    path = write_rows(tmp_path / "changed.csv", rows)
    broken = write_rows(tmp_path / "broken.csv", [poc(), poc(Name="Bad", Skill="Nope")])
    dry, nothing, mismatch, workbook = processed(
        api,
        store,
        settings,
        upload(api, path, rows="changed", dry_run=True),
        upload(api, broken, all_or_nothing=True),
        upload(api, NEW_POCS, file_type="xlsx"),
        upload(api, SAMPLES / "new-pocs.xlsx"),
    )
    assert dry["counts"] | {"processed": 1, "created": 1, "skipped": 1} == dry["counts"]
    assert (dry["applied"], dry["dry_run"], dry["options"]["rows"]) == (False, True, "changed")
    assert (nothing["status"], nothing["counts"]["created"]) == ("failed", 0)
    assert (mismatch["status"], mismatch["failure_code"]) == ("failed", "file_type_mismatch")
    assert (workbook["status"], workbook["file_type"]) == ("succeeded", "xlsx")
    assert "has no error file: no row of it failed" in one_sentence(
        api.get(f"/api/v1/batches/{workbook['batch_id']}/errors")
    )


def test_a_file_name_is_only_shown_never_a_path(store, settings, api):
    answer = api.post(
        "/api/v1/batches",
        files={"file": ("../../../etc/evil.csv", NEW_POCS.read_bytes())},
    )
    [result] = processed(api, store, settings, answer)
    assert result["file_name"] == "evil.csv"
    assert result["reports"]["html"] == f"/api/v1/batches/{result['batch_id']}/report.html"


def test_the_result_links_its_report_error_file_and_email_as_urls_of_the_api(store, settings, api):
    """Issue 22 #8: the result showed the server's paths; it links what the API serves."""
    [result] = processed(api, store, settings, upload(api, MISTAKES, email_results=True))
    url = f"/api/v1/batches/{result['batch_id']}"
    assert result["reports"] == {
        "html": f"{url}/report.html",
        "error_file": f"{url}/errors",
        "email": f"{url}/email.eml",
        "changes": f"{url}/changes.csv",
    }
    changes = api.get(result["reports"]["changes"])
    assert changes.headers["content-type"].startswith("text/csv")
    assert changes.text.splitlines()[0] == '\ufeff"Row","ID","Name","Field","Before","After"'
    report = api.get(result["reports"]["html"])
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert f"Batch {result['batch_id']}" in report.text
    assert api.get(result["reports"]["error_file"]).text.splitlines()[0].endswith(",Error")
    email = api.get(result["reports"]["email"])
    assert email.status_code == 200
    assert email.headers["content-type"] == "message/rfc822"
    assert "attachment" in email.headers["content-disposition"]
    assert b"Subject: [bulkpoc] Completed with errors" in email.content


def test_a_batch_without_a_report_or_email_says_so(store, settings, api):
    [result] = processed(api, store, settings, upload(api, NEW_POCS))
    assert (result["reports"]["error_file"], result["reports"]["email"]) == (None, None)
    url = f"/api/v1/batches/{result['batch_id']}"
    assert one_sentence(api.get(f"{url}/email.eml")).endswith("sent no email.")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("pocs.csv", "pocs.csv"),
        ("C:\\Users\\ann\\pocs.xlsx", "pocs.xlsx"),
        ("/tmp/../pocs.csv", "pocs.csv"),
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
        ("tab\tand\nnewline.csv", "tabandnewline.csv"),
        ("é" * 200 + ".csv", "é" * 73 + ".csv"),
    ],
)
def test_display_names(given, shown):
    assert display_name(given) == shown
    assert len(display_name(given).encode()) <= 150


# --- idempotency, size limit, bad options ----------------------------------------------------


def test_the_same_idempotency_key_gives_the_first_batch(store, settings, api, tmp_path):
    before = store.count_history()
    first = upload(api, NEW_POCS, headers={"Idempotency-Key": "order-17"})
    again = upload(api, MISTAKES, headers={"Idempotency-Key": "order-17"})
    assert again.status_code == 202
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.headers["location"] == first.headers["location"]
    assert store.count_history() == before + 1

    other = upload(api, MISTAKES, headers={"Idempotency-Key": "order-18"})
    plain = upload(api, MISTAKES)
    assert len({first.json()["batch_id"], other.json()["batch_id"], plain.json()["batch_id"]}) == 3
    with api_client(store, settings, create_token(store, "other", "admin")) as same_user:
        assert (
            upload(same_user, MISTAKES, headers={"Idempotency-Key": "order-17"}).json()["batch_id"]
            == first.json()["batch_id"]
        )
    store.add_user("ann", PERMISSIONS)
    with api_client(store, settings, create_token(store, "anns", "ann")) as ann:
        theirs = upload(ann, MISTAKES, headers={"Idempotency-Key": "order-17"})
        assert theirs.json()["batch_id"] != first.json()["batch_id"]
    assert store.count_history() == before + 4


def test_a_file_above_the_limit_is_refused_before_it_is_stored(store, settings, tmp_path):
    small = settings.model_copy(update={"upload_max_bytes": 1000})
    just_over = tmp_path / "just-over.csv"
    just_over.write_bytes(b"Name\n" + b"x" * 1000)
    far_over = tmp_path / "far-over.csv"
    far_over.write_bytes(b"Name\n" + b"x" * 200_000)
    before = store.count_history()
    with api_client(store, small, create_token(store, "partner", "admin")) as api:
        for path in (just_over, far_over):
            refused = upload(api, path)
            assert refused.status_code == 413, path
            assert one_sentence(refused) == (
                "The file is larger than the upload limit of 0.000954 MB (1,000 bytes); "
                "split it into smaller files."
            )
        # Sent in chunks, without a Content-Length: counted as it arrives.
        chunked = api.post(
            "/api/v1/batches",
            content=iter(
                [b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv"]
                + [b"\r\n\r\n"]
                + [b"x" * 10_000] * 10
            ),
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        assert chunked.status_code == 413
        assert "content-length" not in chunked.request.headers
        assert upload(api, write_rows(tmp_path / "fits.csv", [poc()])).status_code == 202
    assert store.count_history() == before + 1


def test_an_upload_is_refused_in_one_sentence_whatever_the_file_is(
    store, settings, api, tmp_path, monkeypatch
):
    # Issue 22: a workbook that lies about its size (1), 18,000 columns (11), Numbers (12).
    monkeypatch.setattr(archive, "MAX_INFLATED", 8 * 1024**2)
    header = ",".join(f"Column {i}" for i in range(18_000)).encode()
    files = {
        "bomb.xlsx": lying_workbook(40 * 1024**2, 1024**2),
        "wide.csv": header + b"\r\nA,b\r\n",
        "pocs.numbers": (CORPUS / "sheetjs" / "minimal_112.numbers").read_bytes(),
    }
    answers = [
        upload(api, write_bytes(tmp_path / name, content)) for name, content in files.items()
    ]
    results = processed(api, store, settings, *answers)
    # On PostgreSQL a worker process reads the file under the real limit (1 GiB), within which
    # this 40 MB sheet fits: there it is refused for the lie about its size.
    lie = "too_large" if store.backend == "sqlite" else "damaged_archive"  # type: ignore[attr-defined]
    assert [(r["status"], r["failure_code"]) for r in results] == [
        ("failed", lie),
        ("failed", "too_many_columns"),
        ("failed", "unsupported_format"),
    ]
    assert results[0]["failure"].startswith("bomb.xlsx ")
    assert results[2]["failure"].startswith("pocs.numbers is an Apple Numbers spreadsheet")


def test_an_ods_upload_with_extra_columns_gets_an_xlsx_error_file(store, settings, api, tmp_path):
    headers = [*RECORD_TYPES["poc"].headers, "", "Notes", "", "Notes"]
    bad = poc(Skill="Sales Cals")
    rows = [headers, [*(bad.get(h, "") for h in headers[:11]), "a", "b", "c", "d"]]
    answer = upload(api, write_bytes(tmp_path / "pocs.ods", ods_bytes(rows)), file_type="xlsx")
    (result,) = processed(api, store, settings, answer)
    assert (result["status"], result["counts"]["failed"]) == ("completed_with_errors", 1)
    errors = api.get(f"/api/v1/batches/{result['batch_id']}/errors")
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith(XLSX)
    assert 'filename="pocs-errors.xlsx"' in errors.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(errors.content)).worksheets[0]
    values = [["" if v is None else v for v in row] for row in sheet.values]
    assert values[0] == [*headers, "Error"]
    assert values[1][11:15] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({"rows": "some"}, True, "The form field 'rows' is not valid: input should be 'all' or "),
        ({"record_type": "pocs"}, True, "The form field 'record_type' is not valid"),
        ({"file_type": "pdf"}, True, "The form field 'file_type' is not valid"),
        ({"dry_run": "perhaps"}, True, "The form field 'dry_run' is not valid"),
        ({}, False, "The form field 'file' is required."),
        ({"record_type": ""}, True, "The form field 'record_type' is blank; give it a value or "),
        # A list where the form takes one value (what a client sending an array does).
        ({"dry_run": ["true", "false"]}, True, "The form field 'dry_run' is given more than once"),
        ({"": "false"}, True, "A form field has no name"),
    ],
)
def test_bad_options_are_refused_in_one_sentence(store, api, data, files, message):
    before = store.count_history()
    response = api.post(
        "/api/v1/batches",
        data=data,
        files={"file": ("a.csv", b"Name\n")} if files else {"other": ("a.csv", b"")},
    )
    assert response.status_code == 422
    assert one_sentence(response).startswith(message)
    assert store.count_history() == before


def test_bad_paging_and_ids_are_refused_in_one_sentence(api):
    for path, name in (
        ("/api/v1/batches?limit=0", "limit"),
        ("/api/v1/batches?offset=-1", "offset"),
        ("/api/v1/batches?status=done", "status"),
        ("/api/v1/batches?user=", "user"),
        ("/api/v1/batches/abc", "batch_id"),
    ):
        response = api.get(path)
        assert response.status_code == 422, path
        assert f"'{name}' is not valid" in one_sentence(response)


def test_a_query_parameter_not_taken_or_repeated_is_refused(api):
    # A mistyped filter must not pass unnoticed and list every batch.
    typo = api.get("/api/v1/batches", params={"stauts": "failed"})
    assert (typo.status_code, one_sentence(typo)) == (
        422,
        "The query parameter 'stauts' is not one of this endpoint's; "
        "it takes limit, offset, source, status, user.",
    )
    twice = api.get("/api/v1/batches?source=api&source=cli")
    assert (twice.status_code, one_sentence(twice)) == (
        422,
        "The query parameter 'source' is given more than once; give it once.",
    )
    none = api.get("/api/v1/templates/poc.csv", params={"x": "1"})
    assert (none.status_code, one_sentence(none)) == (
        422,
        "The query parameter 'x' is not one of this endpoint's; it takes none.",
    )


def test_a_method_not_allowed_names_every_method_the_path_takes(api):
    refused = api.delete("/api/v1/batches")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, POST"
    assert one_sentence(refused) == "DELETE is not allowed on /api/v1/batches."


def test_unknown_batches_and_paths_are_404_in_one_sentence(api):
    for path in (
        "/api/v1/batches/999",
        "/api/v1/batches/999/progress",
        "/api/v1/batches/999/errors",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert one_sentence(response) == "There is no batch 999."
    nowhere = api.get("/api/v1/nowhere")
    assert (nowhere.status_code, one_sentence(nowhere)) == (
        404,
        "There is nothing at /api/v1/nowhere; see /api/v1/openapi.json.",
    )


# --- run history ----------------------------------------------------------------------------


def test_the_run_history_filters_and_pages(store, settings, api, tmp_path):
    before = store.count_history()  # the demo data's imports
    run_import(store, MISTAKES, ImportOptions(), settings)  # from the CLI
    ids = [upload(api, MISTAKES, dry_run=True).json()["batch_id"] for _ in range(3)]
    run_workers(store, settings)
    for batch_id in ids:
        poll_until_finished(api, batch_id)

    everything = api.get("/api/v1/batches").json()
    assert everything["total"] == before + 4
    assert [b["source"] for b in everything["batches"][:4]] == ["api", "api", "api", "cli"]
    first_page = api.get("/api/v1/batches", params={"source": "api", "limit": 2}).json()
    assert (first_page["total"], first_page["limit"], first_page["offset"]) == (3, 2, 0)
    assert [b["batch_id"] for b in first_page["batches"]] == ids[::-1][:2]
    second_page = api.get("/api/v1/batches", params={"source": "api", "limit": 2, "offset": 2})
    assert [b["batch_id"] for b in second_page.json()["batches"]] == ids[:1]
    summary = second_page.json()["batches"][0]
    assert summary["counts"] == load_result(store, ids[0]).counts.model_dump()
    assert (summary["user"], summary["status"], summary["file_name"]) == (
        "admin",
        "completed_with_errors",
        MISTAKES.name,
    )
    assert api.get("/api/v1/batches", params={"user": "nobody"}).json() == {
        "total": 0,
        "limit": 50,
        "offset": 0,
        "batches": [],
    }
    failed = api.get("/api/v1/batches", params={"status": "completed_with_errors"}).json()
    assert [b["batch_id"] for b in failed["batches"]][:3] == ids[::-1]
    assert failed["total"] == 4


# --- templates and exports ------------------------------------------------------------------


def test_templates_and_exports_are_the_files_the_cli_writes(store, settings, api, tmp_path):
    processed(api, store, settings, upload(api, NEW_POCS))
    for kind in ("templates", "exports"):
        for rtype in RECORD_TYPES.values():
            response = api.get(f"/api/v1/{kind}/{rtype.name}.csv")
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/csv")
            path = tmp_path / kind / f"{rtype.name}.csv"
            write_records(store, rtype, "csv", path, template=kind == "templates")
            assert response.content == path.read_bytes()

    workbook = api.get("/api/v1/exports/poc.xlsx")
    assert workbook.headers["content-type"] == XLSX
    exported = download_name(RECORD_TYPES["poc"], "xlsx", template=False)
    assert f'filename="{exported}"' in workbook.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == RECORD_TYPES["poc"].headers
    assert len(values) == 1 + 12
    template = api.get("/api/v1/templates/skill.xlsx")
    assert template.headers["content-type"] == XLSX

    for path, message in (
        ("/api/v1/templates/pocs.csv", "There is no record type 'pocs'; choose from "),
        ("/api/v1/exports/poc.pdf", "There is no 'pdf' format; choose from csv, xlsx."),
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert one_sentence(response).startswith(message)


# --- the schema -----------------------------------------------------------------------------


def test_the_openapi_schema_declares_the_token_and_every_answer(api):
    schema = api.get("/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["APIToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "bulkpoc tokens create" in scheme["description"]
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) == len(API_CALLS) == 44
    problems = {"401": ["Problem"], "422": ["Problem", "EditProblem"]}
    for operation in operations:
        assert operation["security"] == [{"APIToken": []}]
        for code, models in problems.items():
            problem = operation["responses"][code]["content"]["application/json"]["schema"]
            assert problem in [{"$ref": f"#/components/schemas/{model}"} for model in models]
    # A refused change of records (batch.edits) is a Problem with its failed batch.
    edit_problem = schema["components"]["schemas"]["EditProblem"]
    assert edit_problem["required"] == ["detail"]
    assert set(edit_problem["properties"]) == {"detail", "batch"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    upload_body = schema["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]
    assert list(upload_body) == ["multipart/form-data"]
    assert set(get_args(RecordTypeName)) == set(RECORD_TYPES)
