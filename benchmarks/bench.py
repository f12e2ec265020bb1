"""Speed and memory benchmark of the import pipeline and the export.

    python benchmarks/bench.py                 # every scenario, 5 runs each, 100,000 rows
    python benchmarks/bench.py --scenario csv-create --repeat 3
    python benchmarks/bench.py --scenario csv-1m   # 1,000,000 rows: time and peak memory
    python benchmarks/bench.py --scenario xlsx-1m  # the same rows as an XLSX
    BULKPOC_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/bench \
        python benchmarks/bench.py              # every scenario on SQLite, then on PostgreSQL
    python benchmarks/bench.py --scenario reimport-ratio --repeat 7   # the two in turn

Each run is a fresh process with a fresh SQLite store seeded with reference data (skills,
scripts, chat profiles and a number inventory holding every phone and SMS number of the
file); seeding is not timed. With BULKPOC_BENCH_POSTGRES_URL every scenario runs on PostgreSQL
too; that database is emptied before each run and after the last, so give the benchmark one
of its own.
Timed: ``run_import`` end to end (read, validate, plan, apply, report) or the export. Figures
are medians of the runs. Generated files are cached in benchmarks/data/; the XLSX is written by
xlsxwriter, as Excel writes one (the ``bench`` extra). benchmarks/whole.py times the
``bulkpoc import`` command as a whole process, against the peer.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import phonenumbers
from sqlalchemy import Connection, Table, insert

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import write_records
from bulkpoc.store import row_hashes, schema
from bulkpoc.store.db import Store, utcnow

POSTGRES_URL = os.environ.get("BULKPOC_BENCH_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
INSERT_CHUNK = 5_000  # rows per executemany when seeding a store


def compile_bytecode() -> None:
    """Compile this checkout's modules, bulkpoc's and the peer's, as ``pip install`` does for a
    package, so that no timed process compiles them from source (an editable checkout run with
    PYTHONDONTWRITEBYTECODE set, as on CI machines, would on every run)."""
    for folder in (HERE.parent / "bulkpoc", HERE / "peer"):
        compileall.compile_dir(folder, quiet=1)


HEADERS = RECORD_TYPES["poc"].headers
MEDIA_MIX = (("Phone Call", 40), ("SMS", 15), ("Email", 25), ("Chat", 10), ("Work Item", 10))
AREA_CODES = (
    "202",
    "212",
    "213",
    "305",
    "312",
    "404",
    "415",
    "512",
    "617",
    "646",
    "702",
    "713",
    "718",
    "720",
    "303",
    "206",
    "214",
    "215",
    "310",
    "347",
    "408",
    "469",
    "503",
    "602",
)


def valid_numbers(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct valid US numbers in E.164 form."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        number = f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if number not in found and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            found.add(number)
    return sorted(found)


def generate(rows: int) -> tuple[Path, Path]:
    """A POC file of ``rows`` new records and the inventory it needs (cached)."""
    DATA.mkdir(parents=True, exist_ok=True)
    pocs, inventory = DATA / f"pocs-{rows}.csv", DATA / f"numbers-{rows}.txt"
    if pocs.exists() and inventory.exists():
        return pocs, inventory
    rng = random.Random(rows)
    media = [name for name, weight in MEDIA_MIX for _ in range(weight)]
    kinds = [rng.choice(media) for _ in range(rows)]
    needed = sum(kind in ("Phone Call", "SMS") for kind in kinds)
    numbers = valid_numbers(needed)
    rng.shuffle(numbers)
    inventory.write_text("\n".join(numbers))
    feed = iter(numbers)
    with pocs.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i, kind in enumerate(kinds):
            slug = kind.split()[0]
            address = ""
            if kind in ("Phone Call", "SMS"):
                address = next(feed)
            elif kind == "Email":
                address = f"queue{i}@dept{i % 97}.example.com"
            writer.writerow(
                [
                    "",
                    "",
                    f"{kind} entry point {i:07d}",
                    kind,
                    address,
                    f"{slug} Skill {i % 20}",
                    f"{slug} Script {i % 10}",
                    "Y" if kind == "Phone Call" and i % 3 == 0 else "N",
                    "Profile 1" if kind == "Chat" else "",
                    "Y",
                    "",
                ]
            )
    return pocs, inventory


def empty_store(folder: Path, backend: str | None = None) -> Store:
    """A store with no tables: a new SQLite file, or the PostgreSQL database emptied."""
    backend = backend or os.environ.get("BULKPOC_BENCH_BACKEND", "sqlite")
    if backend == "sqlite":
        return Store(store_url(folder, backend))
    assert POSTGRES_URL, "BULKPOC_BENCH_POSTGRES_URL names the PostgreSQL database"
    empty_postgres()
    return Store(POSTGRES_URL)


def empty_postgres() -> None:
    """Drop everything in the PostgreSQL database: before each run, and after the last."""
    assert POSTGRES_URL
    store = Store(POSTGRES_URL)
    with store.transaction() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    store.engine.dispose()


def seeded_store(
    folder: Path, inventory: Path, url: str | None = None, backend: str | None = None
) -> Store:
    """A new store (``empty_store`` unless ``url``) with the reference data and inventory."""
    store = Store(url) if url else empty_store(folder, backend)
    store.initialise()
    store.add_user("admin", PERMISSIONS)
    now = utcnow()
    with store.transaction() as connection:
        for table, rows in (
            (
                schema.skills,
                [
                    {
                        "name": f"{kind.split()[0]} Skill {i}",
                        "name_key": f"{kind.split()[0]} skill {i}".lower(),
                        "media_type": kind,
                        "active": True,
                        "last_modified": now,
                    }
                    for kind, _ in MEDIA_MIX
                    for i in range(20)
                ],
            ),
            (
                schema.scripts,
                [
                    {
                        "name": f"{kind.split()[0]} Script {i}",
                        "name_key": f"{kind.split()[0]} script {i}".lower(),
                        "media_type": kind,
                        "last_modified": now,
                    }
                    for kind, _ in MEDIA_MIX
                    for i in range(10)
                ],
            ),
            (
                schema.chat_profiles,
                [{"name": "Profile 1", "name_key": "profile 1", "last_modified": now}],
            ),
        ):
            insert_rows(connection, table, rows)
        insert_rows(
            connection,
            schema.numbers,
            (
                {"phone_number": n, "voice": True, "sms": True, "last_modified": now}
                for n in inventory.read_text().split()
            ),
        )
        for name in ("skill", "script", "chat-profile", "number"):
            row_hashes.refresh(connection, RECORD_TYPES[name])  # as the pipeline would have
    return store


def insert_rows(connection: Connection, table: Table, rows: Iterable[dict]) -> None:
    """Insert in chunks so a million rows never become a million dicts at once."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= INSERT_CHUNK:
            connection.execute(insert(table), chunk)
            chunk = []
    if chunk:
        connection.execute(insert(table), chunk)


def settings_for(folder: Path) -> Settings:
    return Settings.from_env({}).model_copy(
        update={"report_dir": folder / "reports", "outbox_dir": folder / "outbox"}
    )


def timed_import(store: Store, path: Path, folder: Path, expect: str) -> float:
    start = time.perf_counter()
    result = run_import(store, path, ImportOptions(), settings_for(folder))
    elapsed = time.perf_counter() - start
    counts = result.counts
    assert result.status.value == "succeeded", (result.failure, result.errors[:3])
    assert getattr(counts, expect) == counts.total, counts
    return elapsed


def _timed_create(path: Path, inventory: Path) -> float:
    """Time importing ``path`` into a freshly seeded, empty store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = seeded_store(Path(tmp), inventory)
        return timed_import(store, path, Path(tmp), "created")


def scenario_csv_create(rows: int) -> float:
    pocs, inventory = generate(rows)
    return _timed_create(pocs, inventory)


def imported_and_exported(rows: int, folder: Path) -> tuple[Store, Path]:
    """A store holding the generated POCs (imported, not timed) and their CSV export."""
    pocs, inventory = generate(rows)
    store = seeded_store(folder, inventory)
    timed_import(store, pocs, folder, "created")
    exported = folder / "export.csv"
    write_records(store, RECORD_TYPES["poc"], "csv", exported, template=False)
    return store, exported


def scenario_csv_reimport(rows: int) -> float:
    """Import, export, then time importing the export unchanged with All Rows."""
    with tempfile.TemporaryDirectory() as tmp:
        store, exported = imported_and_exported(rows, Path(tmp))
        return timed_import(store, exported, Path(tmp), "unchanged")


def scenario_csv_update(rows: int) -> float:
    """Import, export, then time importing the export with every record's script changed."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, exported = imported_and_exported(rows, folder)
        changed = folder / "changed.csv"
        with exported.open(newline="", encoding="utf-8") as source:
            table = list(csv.reader(source))
        script = table[0].index("Script")
        for row in table[1:]:
            stem, number = row[script].rsplit(" ", 1)
            row[script] = f"{stem} {(int(number) + 1) % 10}"
        with changed.open("w", newline="", encoding="utf-8") as target:
            csv.writer(target).writerows(table)
        return timed_import(store, changed, folder, "updated")


def excel_xlsx(pocs: Path) -> Path:
    """``pocs`` as an XLSX written the way Excel and LibreOffice write one (cached).

    xlsxwriter keeps every text in a shared-strings table and styles the header, as those do;
    bulkpoc's own writer is not used, so the benchmark reads what users upload.
    """
    target = pocs.with_suffix(".excel.xlsx")  # not the name earlier files of bulkpoc's writer had
    if target.exists():
        return target
    import xlsxwriter

    partial = target.with_suffix(".partial.xlsx")
    workbook = xlsxwriter.Workbook(str(partial))
    sheet = workbook.add_worksheet("Points of Contact")
    bold = workbook.add_format({"bold": True})
    with pocs.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        sheet.write_row(0, 0, next(rows), bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value:
                    sheet.write_string(number, column, value)
    workbook.close()
    partial.rename(target)
    return target


def scenario_xlsx_create(rows: int) -> float:
    pocs, inventory = generate(rows)
    return _timed_create(excel_xlsx(pocs), inventory)


def scenario_xlsx_export(rows: int) -> float:
    pocs, inventory = generate(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = seeded_store(folder, inventory)
        timed_import(store, pocs, folder, "created")
        start = time.perf_counter()
        written = write_records(
            store, RECORD_TYPES["poc"], "xlsx", folder / "e.xlsx", template=False
        )
        elapsed = time.perf_counter() - start
        assert written == rows
        return elapsed


def _on(backend: str) -> dict[str, str]:
    """The environment of a child that runs on ``backend``."""
    return {**os.environ, "BULKPOC_BENCH_BACKEND": backend}


def in_child(name: str, rows: int, backend: str = "sqlite") -> float:
    """One timed run in a fresh process, as a CLI import is: no state left by earlier runs."""
    child = subprocess.run(
        [sys.executable, __file__, "--child-scenario", name, "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=True,
        env=_on(backend),
    )
    return float(json.loads(child.stdout.strip().splitlines()[-1])["seconds"])


def store_url(folder: Path, backend: str) -> str:
    return f"sqlite:///{folder / 'bench.db'}" if backend == "sqlite" else str(POSTGRES_URL)


def scenario_memory(rows: int, backend: str, file_format: str) -> tuple[float, float]:
    """Import the file in a child process; return (seconds, its peak resident MB).

    The store is seeded by this process first, so the child is only an import, as a
    ``bulkpoc import`` is: seeding the inventory in the child would count its memory too.
    """
    pocs, inventory = generate(rows)
    source = excel_xlsx(pocs) if file_format == "xlsx" else pocs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seeded_store(folder, inventory, backend=backend).engine.dispose()
        child = subprocess.run(
            [sys.executable, __file__, "--child-import", str(source), "--folder", tmp],
            capture_output=True,
            text=True,
            check=True,
            env=_on(backend),
        )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    return report["seconds"], report["peak_mb"]


def child_import(source: Path, folder: Path) -> None:
    store = Store(store_url(folder, os.environ.get("BULKPOC_BENCH_BACKEND", "sqlite")))
    seconds = timed_import(store, source, folder, "created")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


SCENARIOS = {
    "csv-create": (scenario_csv_create, "CSV into an empty store"),
    "csv-reimport": (scenario_csv_reimport, "CSV re-imported unchanged (All Rows)"),
    "csv-update": (scenario_csv_update, "CSV re-imported, every row updated"),
    "xlsx-create": (scenario_xlsx_create, "XLSX into an empty store"),
    "xlsx-export": (scenario_xlsx_export, "XLSX export"),
}


# 1,000,000 rows into an empty store, in a process of their own: time and peak memory.
MEMORY = {"csv-1m": ("csv", "CSV"), "xlsx-1m": ("xlsx", "XLSX")}


def memory_run(name: str, backend: str, repeat: int) -> dict:
    file_format, title = MEMORY[name]
    runs = [scenario_memory(1_000_000, backend, file_format) for _ in range(max(1, min(repeat, 3)))]
    seconds = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    on = "" if backend == "sqlite" else f" ({backend})"
    label = f"{title}, 1,000,000 rows, peak memory{on}"
    print(
        f"{label:<40} {1_000_000:>9,} rows  median {seconds:6.2f} s  "
        f"{1_000_000 / seconds:>9,.0f} rows/s  peak {peak:,.0f} MB",
        flush=True,
    )
    return {
        "rows": 1_000_000,
        "median_s": round(seconds, 2),
        "rows_per_s": round(1_000_000 / seconds),
        "peak_mb": round(peak),
    }


def reimport_ratio(rows: int, repeat: int) -> None:
    """The create and the unchanged re-import in turn, so a shared host's drift hits both."""
    generate(rows)
    runs: dict[str, list[float]] = {"csv-create": [], "csv-reimport": []}
    for _ in range(repeat):
        for name, times in runs.items():
            times.append(in_child(name, rows))
    create, reimport = (statistics.median(times) for times in runs.values())
    for name, times in runs.items():
        print(
            f"{SCENARIOS[name][1]:<40} {rows:>9,} rows  median {statistics.median(times):6.2f} s  "
            f"runs {[round(t, 2) for t in times]}"
        )
    pairs = statistics.median(c / r for c, r in zip(*runs.values(), strict=True))
    print(
        f"re-import speed / create speed: {create / reimport:.2f}x (medians), "
        f"{pairs:.2f}x (median of the {repeat} pairs)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--scenario",
        choices=[*SCENARIOS, *MEMORY, "reimport-ratio", "all"],
        default="all",
    )
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-scenario", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import, args.folder)
        return
    if args.child_scenario:
        print(json.dumps({"seconds": SCENARIOS[args.child_scenario][0](args.rows)}))
        return
    try:
        run(args)
    finally:
        if POSTGRES_URL:
            empty_postgres()  # leave no 100,000 records behind in the database we were lent


def run(args: argparse.Namespace) -> None:
    """The scenarios chosen, each in fresh processes; their medians also go to results/."""
    if args.scenario == "reimport-ratio":
        reimport_ratio(args.rows, args.repeat)
        return
    chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    results = {}
    for name, backend in [(n, b) for n in chosen for b in BACKENDS]:
        if name in MEMORY:
            continue
        label = SCENARIOS[name][1] + ("" if backend == "sqlite" else f" ({backend})")
        generate(args.rows)  # cached, so no child pays for it
        runs = [in_child(name, args.rows, backend) for _ in range(args.repeat)]
        median = statistics.median(runs)
        results[name if backend == "sqlite" else f"{name}-{backend}"] = {
            "rows": args.rows,
            "runs_s": [round(r, 3) for r in runs],
            "median_s": round(median, 3),
            "rows_per_s": round(args.rows / median),
        }
        print(
            f"{label:<40} {args.rows:>9,} rows  median {median:6.2f} s  "
            f"{args.rows / median:>9,.0f} rows/s  runs {[round(r, 2) for r in runs]}",
            flush=True,
        )
    for name, backend in [(n, b) for n in MEMORY for b in BACKENDS]:
        if args.scenario in (name, "all"):
            results[name if backend == "sqlite" else f"{name}-{backend}"] = memory_run(
                name, backend, args.repeat
            )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
