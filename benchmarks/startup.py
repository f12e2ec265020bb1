"""Start-up of the ``bulkpoc`` command, whole process: ``--help``, ``--version`` and every
command's ``--help``, each run as a fresh process several times.

    python benchmarks/startup.py              # 7 runs each
    python benchmarks/startup.py --repeat 15

Prints, per command, the median wall-clock and CPU seconds (user + system) of its runs, and the
same for a bare ``python -c pass`` as the floor no command can go under. Wall time on a shared
machine includes waiting for a core; CPU time is what the command itself costs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

import click
from bench import compile_bytecode

from bulkpoc.cli import cli


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words that name it (``("schedule", "add")``)."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(label: str, argv: list[str], repeat: int) -> float:
    timed(argv)  # warm the file cache; not counted
    runs = [timed(argv) for _ in range(repeat)]
    wall = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[1] for run in runs)
    print(f"{label:<36} median wall {wall:6.3f} s   cpu {cpu:6.3f} s", flush=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    compile_bytecode()
    bulkpoc = [sys.executable, "-m", "bulkpoc"]
    measure("python -c pass (the floor)", [sys.executable, "-c", "pass"], args.repeat)
    walls = [
        measure("bulkpoc --version", [*bulkpoc, "--version"], args.repeat),
        measure("bulkpoc --help", [*bulkpoc, "--help"], args.repeat),
    ]
    for path in command_paths(cli):
        words = " ".join(path)
        walls.append(measure(f"bulkpoc {words} --help", [*bulkpoc, *path, "--help"], args.repeat))
    print(f"slowest median wall: {max(walls):.3f} s")


if __name__ == "__main__":
    main()
