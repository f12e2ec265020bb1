"""The README holds: its command tables say what the click app declares, and every shell block
runs as written (issue 21, part 3)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from bulkpoc.cli import cli
from tests import readme


def _canonical(command: click.Command, name: str) -> str:
    """An option's long name, whichever of its names the README used (``-o`` is ``--output``)."""
    for param in command.params:
        if isinstance(param, click.Option) and name in param.opts + param.secondary_opts:
            return next((o for o in param.opts if o.startswith("--")), name)
    return name


def _written(command: click.Command, usage: readme.Usage) -> readme.Usage:
    options = {_canonical(command, name): how for name, how in usage.options.items()}
    return readme.Usage(usage.arguments, options, usage.more)


def test_the_command_table_names_every_command_and_only_those():
    written = [path for row in readme.command_rows() for path in row.commands]
    assert len(written) == len(set(written)), "a command has two rows"
    assert sorted(written) == sorted(readme.declared(cli))


def test_each_commands_arguments_and_options_are_as_declared():
    """Required options are written bare, optional ones in brackets, a value after an option
    that takes one, ``…`` after one that repeats; ``[options]`` points to a table of its own."""
    commands = readme.declared(cli)
    for row in readme.command_rows():
        for path, usage in row.commands.items():
            command = commands[path]
            written = _written(command, usage)
            declared = readme.usage_of(command)
            if written.more:  # bulkpoc import PATH [options]
                options = readme.option_rows(path[-1])
                written.options = {
                    _canonical(command, name): (*shown.options[name][1:],)
                    for name, (shown, _) in options.items()
                }
                declared.options = {
                    name: (value, repeated)
                    for name, (_, value, repeated) in declared.options.items()
                }
            if path == ():  # `bulkpoc --version`: the group's own options, each used alone
                written.options = {name: (False, *how[1:]) for name, how in written.options.items()}
            assert (path, written.arguments) == (path, declared.arguments)
            assert (path, written.options) == (path, declared.options)


def test_each_default_is_given_where_the_option_is():
    """An option with a default names it in its row (``TYPE`` above the table, for all)."""
    commands = readme.declared(cli)
    assert "`TYPE` is `poc` (default)" in readme.section("CLI reference")
    rows = [(path, row.text) for row in readme.command_rows() for path in row.commands]
    missing = []
    for path, text in rows:
        command = commands[path]
        options = readme.option_rows(path[-1]) if path == ("import",) else {}
        for param in command.params:
            if not isinstance(param, click.Option) or {"--type", *readme.LEFT_OUT} & set(
                param.opts
            ):
                continue
            default = readme.default_of(param)
            where = options[param.opts[0]][1] if options else text
            if default is not None and f"`{default}`" not in where:
                missing.append((" ".join(path), param.opts[0], default))
    assert missing == []


# --- every shell block, run as written --------------------------------------------------------

BIN = Path(sys.executable).parent  # the test venv's `bulkpoc`, this checkout's code
PORTS = range(8600, 8700)  # this suite's servers' share of the machine's ports
README_URL = "http://127.0.0.1:8000"  # the address the README gives `bulkpoc serve`'s API
SERVER_START_SECONDS = 30


class Reader:
    """A reader at a terminal, running the README's shell blocks one after another: each
    block in a new ``bash -e`` that starts in the folder the last one ended in, with no
    ``BULKPOC_*`` setting of ours, the ``bulkpoc`` of the test venv on PATH, ``mktemp`` inside
    the test's folder, and ``$PASSWORD`` set, as the README's script lines expect. A block
    that calls the API (``$BULKPOC``) gets a ``bulkpoc serve`` of its folder, started once, on
    a port of this suite's range instead of the README's 8000. As ``bash -e`` does, a failed
    command stops its block, except one left of ``&&`` that is not the block's last command."""

    def __init__(self, folder: Path) -> None:
        (folder / "tmp").mkdir()
        self.cwd = folder / "walk"
        self.cwd.mkdir()
        self.state = folder / "cwd"
        self.env = {k: v for k, v in os.environ.items() if not k.upper().startswith("BULKPOC_")}
        self.env |= {
            "PATH": os.pathsep.join([str(BIN), os.environ["PATH"]]),
            "TMPDIR": str(folder / "tmp"),
            "PASSWORD": "a password from a script",
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.url = ""

    def run(self, block: readme.Block) -> str:
        code = block.code
        if "$BULKPOC" in code:
            self.serve()
            code = code.replace(README_URL, self.url)
        done = subprocess.run(
            # On exit, not after the code, so that the block's last status is the script's.
            ["bash", "-e", "-c", f"trap 'pwd > \"{self.state}\"' EXIT\n{code}"],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,  # no terminal to ask a password on
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"README.md line {block.line}:\n{code}\n---\n{output[-4000:]}"
        assert "Traceback" not in output, output
        self.cwd = Path(self.state.read_text().strip())
        return output

    def serve(self) -> None:
        if self.server is not None:
            return
        port = next(p for p in PORTS if _free(p))
        self.url = f"http://127.0.0.1:{port}"
        log = (self.state.parent / "server.log").open("wb")
        self.server = subprocess.Popen(
            [str(BIN / "bulkpoc"), "serve", "--port", str(port)],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(f"{self.url}/login"):
            assert self.server.poll() is None, (self.state.parent / "server.log").read_text()
            assert time.monotonic() < deadline, "bulkpoc serve did not answer"
            time.sleep(0.2)

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_every_shell_block_runs_as_written(tmp_path):
    """In order, in a new folder, on a fresh SQLite store: each shell block not marked
    ``<!-- readme-test: skip (why) -->`` exits 0 and prints no traceback; those that claim
    rows were imported did import them."""
    reader = Reader(tmp_path)
    outputs = {}
    try:
        for block in readme.blocks():
            if block.shell and not block.skip:
                outputs[block.line] = reader.run(block)
    finally:
        reader.close()
    assert reader.cwd.is_relative_to(tmp_path / "tmp")  # Everyday use moved to a new folder

    everyday = _ran(outputs, "Everyday use")
    assert "2 created" in everyday  # the template's two rows
    assert "1 updated, 0 unchanged, 1 skipped" in everyday  # the marked row of the export

    api = _ran(outputs, "API")
    found = re.search(r'\{"batch_id":\d+,"record_type"', api)  # GET /api/v1/batches/{id}
    assert found, api
    result, _ = json.JSONDecoder().raw_decode(api, found.start())
    assert result["status"] == "completed_with_errors"
    assert result["counts"]["failed"] == result["counts"]["total"] == 2
    assert set(result["timings"]) == {"snapshot", "read", "validate", "plan", "apply"}
    downloads = {path.name: path for path in reader.cwd.iterdir()}
    assert "Error" in downloads["new-pocs-errors.csv"].read_text(encoding="utf-8-sig")
    template = next(p for n, p in downloads.items() if n.endswith("template.xlsx"))
    assert template.read_bytes().startswith(b"PK")  # a workbook, not an error saved as one
    export = next(p for n, p in downloads.items() if n.startswith("points-of-contact-2"))
    assert "Sales hotline" in export.read_text(encoding="utf-8-sig")

    edits = _ran(outputs, "Single records and mass edits through the API")
    assert "Cannot be deactivated because it is still assigned to an active skill" in edits
    assert edits.count('"status":"succeeded"') == 6  # all but the refused deactivation


def _ran(outputs: dict[int, str], title: str) -> str:
    """What the blocks of the section ``title`` printed."""
    code = readme.section(title)
    ran = [outputs[b.line] for b in readme.blocks() if b.line in outputs and b.code in code]
    assert ran, f"no block of {title} ran"
    return "\n".join(ran)


def test_every_skipped_shell_block_says_why():
    skipped = [block for block in readme.blocks() if block.shell and block.skip]
    assert all(len(block.skip or "") > 10 for block in skipped)
    # The set-up and test commands are the ones a test cannot run from inside itself.
    for command in ("scripts/test.py", "uv pip compile", "pip install ."):
        assert any(command in block.code for block in skipped), command
