"""Time run_import of an XLSX with a #N/A error cell in every row (issue 9, bug 4).

PYTHONPATH=. python benchmarks/error_cells.py [rows]    # default 8,000 rows, this checkout
"""

import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.services.demo import load_demo_reference_data
from bulkpoc.store.db import Store

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 8000

with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    settings = Settings.from_env({}).model_copy(
        update={"report_dir": folder / "reports", "outbox_dir": folder / "outbox"}
    )
    store = Store(f"sqlite:///{folder / 'm.db'}")
    store.initialise()
    store.add_user("admin", PERMISSIONS, email="admin@example.com")
    load_demo_reference_data(store, settings)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    headers = RECORD_TYPES["poc"].headers
    sheet.append(headers)
    skill = headers.index("Skill")
    for i in range(ROWS):
        row = [""] * len(headers)
        row[headers.index("Name")] = f"Queue {i}"
        row[headers.index("Media Type")] = "Email"
        row[headers.index("Point of Contact")] = f"q{i}@example.com"
        row[headers.index("Script")] = "Email Router"
        cell = openpyxl.cell.WriteOnlyCell(sheet, value="#N/A")
        cell.data_type = "e"
        row[skill] = cell
        sheet.append(row)
    path = folder / "errors.xlsx"
    workbook.save(path)
    start = time.perf_counter()
    result = run_import(store, path, ImportOptions(), settings)
    took = time.perf_counter() - start
    spreadsheet = sum(error.code == "spreadsheet_error" for error in result.errors)
    print(
        f"{ROWS} rows: {took:.2f} s, status {result.status.value}, "
        f"{spreadsheet} spreadsheet_error, timings "
        + ", ".join(f"{k}={v:.2f}" for k, v in result.timings.items())
    )
