"""Every file of a corpus of real spreadsheets and CSV files from other projects' test suites.

tests/files/corpus/<origin>/ holds them with their licence and a README naming where each came
from. Each is identified, then read or refused in one sentence that names what it is, never a
traceback nor a library's words; the files given our header row are imported whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkpoc.batch.read import read_file, sniff_file_type
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats import get
from bulkpoc.formats.base import RawTable
from bulkpoc.formats.unreadable import ENCRYPTED, KINDS

CORPUS = Path(__file__).parent / "files" / "corpus"
FILES = sorted(
    path
    for path in CORPUS.rglob("*")
    if path.is_file() and path.name not in ("README.md", "LICENCE")
)
OURS = [path for path in FILES if path.parent.name == "with-our-headers"]
BY_SUFFIX = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".ods": "ods",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".numbers": "numbers",
    ".gz": "gzipped_csv",
    ".zip": "zipped_csv",
}
# Files whose content is not what their name says.
NOT_AS_NAMED = {
    "calamine/too_small.xls": "csv",  # 68 bytes of text
    "calamine/issue_385.xls": "encrypted",
    "calamine/pass_protected.ods": "encrypted",
    "calamine/pass_protected.xlsb": "encrypted",
    "calamine/pass_protected.xlsx": "encrypted",
    "frictionless/compression__implicit-gz.csv": "gzipped_csv",
    "frictionless/compression__implicit-zip.csv": "zipped_csv",
    "frictionless/innerpath.package.zip": "zip",  # a data package: JSON beside the CSV
    "frictionless/package-invalid.zip": "zip",
    "frictionless/package.zip": "zip",
    "frictionless/resource.zip": "zip",
}
DESCRIPTIONS = {kind.name: kind.description for kind in (ENCRYPTED, *KINDS)}
# What a library says in its own words; none of it may reach a message.
LIBRARY_WORDS = ("Error", "error:", "Cfb", "zip file", "archive is", "Cannot detect", "calamine")


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _expected(path: Path) -> str:
    name = _name(path)
    if name in NOT_AS_NAMED:
        return NOT_AS_NAMED[name]
    return "encrypted" if path.name.startswith("password_") else BY_SUFFIX[path.suffix.lower()]


def test_the_corpus_has_hundreds_of_files_from_five_origins_each_with_its_licence() -> None:
    assert len(FILES) >= 350
    origins = {path.relative_to(CORPUS).parts[0] for path in FILES}
    assert origins == {
        "calamine",
        "csv-spectrum",
        "csvw",
        "frictionless",
        "sheetjs",
        "with-our-headers",
    }
    for origin in origins:
        assert (CORPUS / origin / "README.md").is_file()
    assert all(
        (CORPUS / origin / "LICENCE").is_file()
        for origin in origins - {"csv-spectrum", "with-our-headers"}
    )
    kinds = {_expected(path) for path in FILES}
    assert {"xlsx", "xlsb", "xls", "ods", "csv", "numbers", "encrypted", "zipped_csv"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_every_file_is_read_or_refused_in_one_sentence_that_names_what_it_is(path: Path) -> None:
    kind = sniff_file_type(path)
    assert kind == _expected(path)
    outcome = _read(path)
    if isinstance(outcome, RawTable):
        assert outcome.file_type == kind
        assert len(outcome.headers) == outcome.data.shape[1]
        return
    message = str(outcome)
    assert message.endswith("."), message
    assert "\n" not in message
    assert path.name in message, message
    assert not any(words in message for words in LIBRARY_WORDS), message
    if kind in DESCRIPTIONS:
        assert outcome.code == "unsupported_format"
        assert DESCRIPTIONS[kind] in message
    elif outcome.code == "damaged_workbook":
        assert get(kind).description in message


def _read(path: Path) -> RawTable | FileRejected:
    """The file's table, or the refusal it got; anything else escapes as the bug it is."""
    try:
        return read_file(path)
    except FileRejected as refusal:
        return refusal


@pytest.mark.parametrize("path", OURS, ids=_name)
def test_every_file_given_our_headers_is_imported_and_gets_an_error_file(run, path: Path) -> None:
    result = run(path)
    assert result.status.value == "completed_with_errors", result.failure
    assert result.counts.failed > 0
    error_file = Path(result.reports.error_file)
    kept = read_file(error_file)
    assert kept.headers[:11] == read_file(path).headers[:11]
    assert kept.headers[-1] == "Error"
