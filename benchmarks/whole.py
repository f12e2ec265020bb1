"""Whole-process benchmark: ``bulkpoc import`` as a user runs it, against django-import-export.

    pip install -e '.[bench]'                  # Django, django-import-export, xlsxwriter
    python benchmarks/whole.py                 # 20,000, 50,000 and 100,000 rows, 3 runs each
    python benchmarks/whole.py --rows 50000 --repeat 5 --peer-repeat 3
    BULKPOC_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/bench python benchmarks/whole.py

Every run is a new process started from this one, timed from its start to its exit (start-up
included), on a fresh copy of a seeded store: the SQLite file is copied from a template, the
PostgreSQL database re-created from one (seeding is not timed). The contenders take turns run
by run, so drift in the machine's speed touches them alike:

- ``bulkpoc import FILE.csv`` (the installed command, this checkout's code first on the path);
- the peer (benchmarks/peer/, a Django project) importing the same file with
  django-import-export, in its default mode and in its bulk mode (``use_bulk = True``);
- ``bulkpoc import FILE.xlsx`` of the same rows as xlsxwriter writes them (``--xlsx-rows``);
- with BULKPOC_BENCH_POSTGRES_URL set, ``bulkpoc import`` of the CSV into PostgreSQL (the peer
  stays on SQLite). The URL's database is dropped and re-created for each run, and left
  empty after the last (the seeded template beside it is dropped).

Printed: median wall and CPU (user + system) seconds, rows/s, peak memory, and the peer's
median over bulkpoc's: wall is what a user waits, CPU is steadier on a shared machine.
Results also go to benchmarks/results/whole.json. Most of the time is the peer's default
mode: about 160 CPU seconds a run at 100,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import compile_bytecode, excel_xlsx, generate, seeded_store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POSTGRES_URL = os.environ.get("BULKPOC_BENCH_POSTGRES_URL")


@dataclass
class Runs:
    """The measured runs of one contender on one file."""

    label: str
    rows: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)

    def median(self, figure: str) -> float:
        return statistics.median(getattr(self, figure))

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "wall_s": round(self.median("wall"), 3),
            "cpu_s": round(self.median("cpu"), 3),
            "rows_per_s": round(self.rows / self.median("wall")),
            "peak_mb": round(max(self.peak_mb)),
            "runs_wall_s": [round(w, 2) for w in self.wall],
            "stages_s": self.stage_medians(),
        }

    def stage_medians(self) -> dict[str, float]:
        """The batch's own timing of each stage (bulkpoc's ``--json``), median over the runs."""
        names = self.stages[0] if self.stages else {}
        return {
            name: round(statistics.median(s.get(name, 0) for s in self.stages), 2) for name in names
        }


def child_env() -> dict[str, str]:
    """This checkout's bulkpoc first on the path, and the peer's package."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}


def measure(argv: list[str], folder: Path, runs: Runs) -> str:
    """Run ``argv`` to its end as ``/usr/bin/time`` would; add its figures to ``runs``.

    ``os.wait4`` gives this one child's CPU time and peak memory; its output goes to a file in
    ``folder`` and is returned, so a failed run can be shown.
    """
    output = folder / "output.txt"
    handle = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0],
            argv,
            child_env(),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, handle, 1),
                (os.POSIX_SPAWN_DUP2, handle, 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(handle)
    text = output.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{runs.label} failed:\n{' '.join(argv)}\n{text[-3000:]}")
    runs.wall.append(wall)
    runs.cpu.append(usage.ru_utime + usage.ru_stime)
    runs.peak_mb.append(usage.ru_maxrss / 1024)
    return text


def bulkpoc_command() -> list[str]:
    """The ``bulkpoc`` script installed beside this interpreter, else ``python -m bulkpoc``."""
    script = Path(sys.executable).with_name("bulkpoc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bulkpoc"]


def fresh_copy(template: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


class Postgres:
    """The database of BULKPOC_BENCH_POSTGRES_URL, dropped and re-created from a seeded
    template (named after it) before each run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.server, self.database = url.rsplit("/", 1)

    def execute(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.server + "/postgres", autocommit=True) as server:
            for statement in statements:
                server.execute(statement)

    def seed_template(self, inventory: Path, rows: int, folder: Path) -> str:
        template = f"{self.database}_bench_{rows}"
        self.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{template}"')
        seeded_store(folder, inventory, f"{self.server}/{template}").engine.dispose()
        return template

    def recreate(self, template: str) -> None:
        self.execute(
            f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            f'CREATE DATABASE "{self.database}" TEMPLATE "{template}"',
        )

    def clean_up(self, template: str) -> None:
        """Leave the server as the run found it: no template, and the database empty."""
        self.execute(
            f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            f'CREATE DATABASE "{self.database}"',
        )


class Contenders:
    """Everything one file size runs, with its seeded templates built once (not timed)."""

    def __init__(self, rows: int, folder: Path, peer: bool, xlsx: bool) -> None:
        self.rows, self.folder = rows, folder
        self.csv, inventory = generate(rows)
        seeded_store(folder, inventory).engine.dispose()
        self.template = folder / "bench.db"
        self.runs: dict[str, Runs] = {"bulkpoc": Runs("bulkpoc, CSV, SQLite", rows)}
        self.peer_template = folder / "peer-template.db"
        if peer:
            self._run_peer_seed()
            self.runs["peer"] = Runs("django-import-export, default", rows)
            self.runs["peer-bulk"] = Runs("django-import-export, use_bulk", rows)
        self.xlsx = excel_xlsx(self.csv) if xlsx else None
        if self.xlsx:
            self.runs["xlsx"] = Runs("bulkpoc, XLSX (xlsxwriter), SQLite", rows)
        self.postgres = Postgres(POSTGRES_URL) if POSTGRES_URL else None
        if self.postgres:
            self.pg_template = self.postgres.seed_template(inventory, rows, folder)
            self.runs["postgres"] = Runs("bulkpoc, CSV, PostgreSQL", rows)

    def _run_peer_seed(self) -> None:
        seed = [sys.executable, "-m", "peer", "seed", str(self.peer_template)]
        subprocess.run([*seed, "--from", str(self.template)], env=child_env(), check=True)

    def bulkpoc(self, name: str, path: Path, url: str) -> None:
        reports = str(self.folder / "reports")
        argv = [*bulkpoc_command(), "--db", url, "import", str(path), "--json"]
        text = measure([*argv, "--report-dir", reports], self.folder, self.runs[name])
        result = json.loads(text[text.index("{") :])
        assert result["counts"]["created"] == self.rows, result["counts"]
        self.runs[name].stages.append(result["timings"])

    def peer(self, name: str, bulk: bool) -> None:
        store = self.folder / "peer.db"
        fresh_copy(self.peer_template, store)
        argv = [sys.executable, "-m", "peer", "import", str(self.csv), "--db", str(store)]
        text = measure(argv + ["--bulk"] * bulk, self.folder, self.runs[name])
        totals = json.loads(text.strip().splitlines()[-1])
        assert totals["new"] == self.rows, totals

    def run_once(self, with_peer: bool) -> None:
        store = self.folder / "run.db"
        fresh_copy(self.template, store)
        self.bulkpoc("bulkpoc", self.csv, f"sqlite:///{store}")
        if "peer" in self.runs and with_peer:
            self.peer("peer", bulk=False)
            self.peer("peer-bulk", bulk=True)
        if self.xlsx:
            fresh_copy(self.template, store)
            self.bulkpoc("xlsx", self.xlsx, f"sqlite:///{store}")
        if self.postgres:
            self.postgres.recreate(self.pg_template)
            self.bulkpoc("postgres", self.csv, self.postgres.url)

    def close(self) -> None:
        if self.postgres:
            self.postgres.clean_up(self.pg_template)


def ratio(slow: Runs, fast: Runs, figure: str) -> float:
    return slow.median(figure) / fast.median(figure)


def report(contenders: Contenders) -> dict:
    """Print one size's table and ratios; return them for the JSON file."""
    runs = contenders.runs
    print(f"\n{contenders.rows:,} rows{'wall s':>34} {'rows/s':>9} {'CPU s':>7} {'peak MB':>8}")
    for one in runs.values():
        if one.wall:
            row = one.summary()
            print(
                f"  {one.label:<38} {row['wall_s']:6.2f} {row['rows_per_s']:>9,} "
                f"{row['cpu_s']:7.2f} {row['peak_mb']:>8,}   runs {row['runs_wall_s']}"
            )
            if one.stages:
                stages = ", ".join(f"{k} {v:.2f}" for k, v in row["stages_s"].items())
                print(f"    stages (s, the batch's own timings): {stages}")
    base = runs["bulkpoc"]
    ratios = {}
    for name, what in (("peer", "peer default"), ("peer-bulk", "peer bulk")):
        if runs.get(name) and runs[name].wall:
            wall, cpu = ratio(runs[name], base, "wall"), ratio(runs[name], base, "cpu")
            ratios[f"bulkpoc vs {name}"] = {"wall": round(wall, 1), "cpu": round(cpu, 1)}
            print(f"  bulkpoc vs {what:<13} {wall:5.1f}x faster (wall), {cpu:5.1f}x (CPU)")
    for name, what in (("xlsx", "XLSX"), ("postgres", "PostgreSQL")):
        if name in runs:
            wall, cpu = ratio(base, runs[name], "wall"), ratio(base, runs[name], "cpu")
            ratios[f"{name} share of the CSV speed"] = {
                "wall": round(wall, 2),
                "cpu": round(cpu, 2),
            }
            print(f"  {what} at {wall:.0%} of the SQLite CSV speed (wall), {cpu:.0%} (CPU)")
    return {"runs": {name: one.summary() for name, one in runs.items() if one.wall}, **ratios}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of bulkpoc (default 3)")
    parser.add_argument("--peer-repeat", type=int, help="runs of the peer (default: --repeat)")
    parser.add_argument("--no-peer", action="store_true", help="leave django-import-export out")
    parser.add_argument(
        "--xlsx-rows", type=int, nargs="*", default=[100_000], help="sizes also run as XLSX"
    )
    args = parser.parse_args()
    peer_repeat = args.repeat if args.peer_repeat is None else args.peer_repeat
    compile_bytecode()
    results = {}
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            contenders = Contenders(rows, Path(tmp), not args.no_peer, rows in args.xlsx_rows)
            try:
                for run in range(args.repeat):
                    contenders.run_once(with_peer=run < peer_repeat)
            finally:
                contenders.close()
            results[rows] = report(contenders)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "whole.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
