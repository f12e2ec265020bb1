"""The README holds: its command tables say what the click app declares, and every shell block
runs as written (issue 21, part 3)."""

from __future__ import annotations

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
