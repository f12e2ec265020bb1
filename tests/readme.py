"""README.md read as data: its sections, its shell blocks and its CLI reference tables.

``tests/test_readme.py`` holds the README to the product with these: every shell block runs as
written (the way doctest runs a library's examples), and the command tables say what the click
app declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import click

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<why>[^)]+)\)\s*-->")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")
SHELLS = {"sh", "bash", "shell", "console"}


def text() -> str:
    return README.read_text(encoding="utf-8")


def headings() -> list[tuple[int, int, str]]:
    """Every heading as (line index, level, title), leaving out ``#`` lines inside code blocks."""
    found, fenced = [], False
    for number, line in enumerate(text().splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#+) (.*)$", line)
        if heading:
            found.append((number, len(heading.group(1)), heading.group(2).strip()))
    return found


def section(title: str) -> str:
    """The text under the heading ``title`` (any level), up to the next heading of its level."""
    lines = text().splitlines()
    marks = headings()
    for position, (number, level, name) in enumerate(marks):
        if name == title:
            end = next((n for n, lv, _ in marks[position + 1 :] if lv <= level), len(lines))
            return "\n".join(lines[number + 1 : end])
    raise KeyError(title)


@dataclass
class Block:
    """One fenced code block: where it starts, its language, its text, why it is skipped."""

    line: int
    lang: str
    code: str
    skip: str | None = None

    @property
    def shell(self) -> bool:
        return self.lang in SHELLS


def blocks() -> list[Block]:
    """Every fenced block in order. A ``<!-- readme-test: skip (why) -->`` comment on the lines
    just above a block (blank lines between allowed) marks it skipped, with its reason."""
    found: list[Block] = []
    lines = text().splitlines()
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if not opening:
            number += 1
            continue
        end = next(i for i in range(number + 1, len(lines)) if lines[i].strip() == "```")
        above = number - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        marker = SKIP.search(lines[above]) if above >= 0 else None
        found.append(
            Block(
                line=number + 1,
                lang=opening.group("lang"),
                code="\n".join(lines[number + 1 : end]) + "\n",
                skip=marker.group("why") if marker else None,
            )
        )
        number = end + 1
    return found


# --- the CLI reference ----------------------------------------------------------------------


@dataclass
class Usage:
    """What a command's usage says: its arguments and options, each required or not."""

    arguments: list[str] = field(default_factory=list)
    # option name -> (required, takes a value, repeatable)
    options: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)
    more: bool = False  # "[options]": the options are in a table of their own


TOKEN = re.compile(r"\[[^\]]*\]…?|\S+")


def parse_usage(words: str) -> Usage:
    """``[--status S] --cron EXPR NAME [--notify EMAIL]…`` as a ``Usage``.

    Square brackets mark what may be left out; ``…`` after a value or a bracket, what may be
    repeated; a word after an option is its value; any other word is an argument (arguments
    come before the options).
    """
    usage = Usage()
    tokens = TOKEN.findall(words)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token == "[options]":
            usage.more = True
            continue
        if token.startswith("["):
            inner = token.rstrip("…")[1:-1].split()
            name, value = inner[0], inner[1:]
            repeated = token.endswith("…") or any(v.endswith("…") for v in value)
            # "--permission P [--permission P…]": required, and repeatable.
            required = name in usage.options and usage.options[name][0]
            usage.options[name] = (required, bool(value), repeated)
            continue
        if token.startswith("-"):
            value = position < len(tokens) and not tokens[position].startswith(("-", "["))
            position += value
            usage.options[token] = (True, value, False)
            continue
        usage.arguments.append(token)
    return usage


@dataclass
class Row:
    """A row of the command table: the commands its first cell names, and the whole row."""

    commands: dict[tuple[str, ...], Usage]
    text: str


def command_rows() -> list[Row]:
    """The rows of the CLI reference's command table."""
    rows = []
    for line in section("CLI reference").splitlines():
        if not line.startswith("| `bulkpoc"):
            continue
        cell = line.split(" | ", 1)[0].removeprefix("| ").replace("\\|", "|")
        segments = [s.strip("`") for s in cell.split("` / `")]
        commands: dict[tuple[str, ...], Usage] = {}
        group: tuple[str, ...] = ()
        for number, segment in enumerate(segments):
            words = segment.split()
            if number == 0:
                words = words[1:]  # "bulkpoc"
            path = []
            while words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
                path.append(words.pop(0))
            full = tuple(path) if number == 0 else (*group, *path)
            if number == 0:
                group = tuple(path[:-1])
            commands[full] = parse_usage(" ".join(words))
        rows.append(Row(commands, line.replace("\\|", "|")))
    return rows


def option_rows(command: str) -> dict[str, tuple[Usage, str]]:
    """The table of ``bulkpoc COMMAND``'s options: each option's usage and its row."""
    found = {}
    for line in (
        section("CLI reference").split(f"`bulkpoc {command} PATH` options:", 1)[1].splitlines()
    ):
        if not line.startswith("| `-"):
            continue
        cell = line.split(" | ", 1)[0].removeprefix("| ").strip("`").replace("\\|", "|")
        usage = parse_usage(f"[{cell}]")
        (name,) = usage.options
        found[name] = (usage, line.replace("\\|", "|"))
    return found


# --- what the click app declares ------------------------------------------------------------

LEFT_OUT = {"--help", "--db"}  # every command has them; the text above the table says so


def declared(app: click.Group) -> dict[tuple[str, ...], click.Command]:
    """Every command a user can run: leaves, groups that run alone, and the group itself for
    its options (``--version``)."""
    found: dict[tuple[str, ...], click.Command] = {(): app}

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if not isinstance(command, click.Group) or command.invoke_without_command:
                found[(*path, name)] = command
            if isinstance(command, click.Group):
                walk(command, (*path, name))

    walk(app, ())
    return found


def usage_of(command: click.Command) -> Usage:
    """A command's arguments (their metavar) and options as ``parse_usage`` reads them."""
    usage = Usage()
    for param in command.params:
        if isinstance(param, click.Argument):
            usage.arguments.append(param.metavar or param.name.upper())  # type: ignore[union-attr]
        elif isinstance(param, click.Option) and not param.hidden:
            name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            if name in LEFT_OUT:
                continue
            usage.options[name] = (param.required, not param.is_flag, param.multiple)
    return usage


def default_of(option: click.Option) -> str | None:
    """The default an option's row must name, or None when it has none worth naming."""
    default = option.default
    if default in (None, False, ()) or repr(default) == "Sentinel.UNSET" or option.is_flag:
        return None
    return str(default)
