"""The error catalogue: every code a rule, a reader or a batch can report is listed once."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pandas as pd
import pytest

from bulkpoc.domain.errors import codes as catalogue
from bulkpoc.domain.errors.codes import CATALOGUE, ErrorType
from bulkpoc.domain.errors.log import ErrorLog
from bulkpoc.domain.errors.types import BulkpocError, FileRejected

CODES = Path(catalogue.__file__).resolve()
PACKAGE = CODES.parent.parent.parent  # bulkpoc/
SAMPLES = PACKAGE.parent / "sample_files"
# Functions that phrase a parameter of a template (did_you_mean): text, not error types.
HELPERS = {name for name, value in vars(catalogue).items() if inspect.isfunction(value)}


def _used_error_types() -> dict[str, set[str]]:
    """Catalogue names each module of the package refers to, by module path."""
    used: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path == CODES or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "bulkpoc.domain.errors.codes":
                names |= {alias.name for alias in node.names}
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "catalogue"
            ):
                names.add(node.attr)
        used[str(path.relative_to(PACKAGE))] = names - {"CATALOGUE", "ErrorType"} - HELPERS
    return used


def test_every_code_is_listed_once_with_a_title_and_a_template():
    types = [value for value in vars(catalogue).values() if isinstance(value, ErrorType)]
    assert len(types) == len(CATALOGUE)
    for code, error_type in CATALOGUE.items():
        assert error_type.code == code
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert error_type.title[:1].isupper(), code
        assert error_type.template.rstrip().endswith((".", ":", "}", ")")), code


def test_every_error_type_the_package_names_is_in_the_catalogue_and_every_entry_is_used():
    used = _used_error_types()
    named = set().union(*used.values())
    defined = {name for name, value in vars(catalogue).items() if isinstance(value, ErrorType)}
    assert named <= defined, f"not in the catalogue: {sorted(named - defined)}"
    assert defined <= named, f"listed but never reported: {sorted(defined - named)}"


def test_no_rule_reports_an_error_code_as_a_bare_string():
    # Rules name an ErrorType; a string code would bypass the catalogue.
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"error", "add"}
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
                and isinstance(node.args[2].value, str)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_error_log_refuses_a_code_that_is_not_an_error_type():
    log = ErrorLog(pd.Series([2, 3]))
    with pytest.raises(TypeError):
        log.add(pd.Series([True, False]), "Name", "x", "made_up_code")  # type: ignore[arg-type]


def test_column_parameters_render_one_message_per_row_as_format_would():
    rows = pd.Index([4, 7, 9])
    params = {
        "header": "Skill",
        "value": pd.Series(["Sales Cals", None, "Q&A <b>"], index=rows),
        "what": "skill",
    }
    rendered = catalogue.UNKNOWN_REFERENCE.render(rows, params)
    expected = [
        catalogue.UNKNOWN_REFERENCE.message(header="Skill", value=value, what="skill")
        for value in ["Sales Cals", "", "Q&A <b>"]
    ]
    assert list(rendered) == expected


def test_a_batch_failure_carries_its_code():
    error = FileRejected(catalogue.FILE_EMPTY, file="The file pocs.csv")
    assert error.code == "file_empty"
    assert str(error) == "The file pocs.csv is empty."
    assert BulkpocError("plain words").code == "error"


def test_every_code_a_batch_of_typical_mistakes_reports_is_in_the_catalogue(run):
    result = run(SAMPLES / "pocs-with-mistakes.csv")
    codes = {error.code for error in result.errors}
    assert len(codes) >= 8
    assert codes <= set(CATALOGUE)
    titles = {CATALOGUE[code].title for code in codes}
    assert len(titles) == len(codes)


def test_the_readme_lists_every_code_with_its_title():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|$", readme, re.M))
    assert listed == {code: error_type.title for code, error_type in CATALOGUE.items()}
