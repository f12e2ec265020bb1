"""Settings through the real ``bulkpoc`` command: bad ones stop it, ``settings`` shows them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bulkpoc.cli import cli
from bulkpoc.config import Settings
from bulkpoc.store.db import Store


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder and a process environment without BULKPOC_* variables."""
    for name in list(os.environ):
        if name.upper().startswith("BULKPOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def bulkpoc(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), prog_name="bulkpoc")
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_a_bad_environment_variable_stops_the_command_with_one_sentence(folder, monkeypatch):
    monkeypatch.setenv("BULKPOC_SMTP_PORT", "abc")
    result = bulkpoc("users", "list")
    assert result.exit_code == 2
    assert result.output == (
        "Error: Setting BULKPOC_SMTP_PORT must be a whole number from 1 to 65535, not 'abc'.\n"
    )


def test_a_bad_setting_stops_demo_before_it_touches_its_folder(folder, monkeypatch):
    monkeypatch.setenv("BULKPOC_SMTP_PORT", "abc")
    result = bulkpoc("demo", "--dir", "demo")
    assert result.exit_code == 2
    assert result.output == (
        "Error: Setting BULKPOC_SMTP_PORT must be a whole number from 1 to 65535, not 'abc'.\n"
    )
    assert not (folder / "demo").exists()


def test_a_bad_setting_does_not_stop_help(folder, monkeypatch):
    monkeypatch.setenv("BULKPOC_SMTP_PORT", "abc")
    result = bulkpoc("import", "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: bulkpoc import [OPTIONS] PATH")


def test_a_bad_value_in_bulkpoc_toml_stops_the_command_with_one_sentence(folder):
    (folder / "bulkpoc.toml").write_text('smtp_security = "ssl"\n', encoding="utf-8")
    result = bulkpoc("init")
    assert result.exit_code == 2
    assert result.output == (
        "Error: Setting smtp_security in bulkpoc.toml must be one of none, starttls, tls, "
        "not 'ssl'.\n"
    )
    assert not (folder / "bulkpoc.db").exists()


def test_a_bulkpoc_toml_that_is_not_toml_stops_the_command_with_one_sentence(folder):
    (folder / "bulkpoc.toml").write_text("[smtp\nhost = 1\n", encoding="utf-8")
    result = bulkpoc("settings")
    assert result.exit_code == 2
    assert result.output.startswith("Error: The settings file bulkpoc.toml is not valid TOML: ")
    assert result.output.count("\n") == 1


def test_the_store_url_comes_from_bulkpoc_toml_then_the_environment_then_db(folder, monkeypatch):
    (folder / "bulkpoc.toml").write_text(
        f'database_url = "sqlite:///{folder / "from-file.db"}"\n', encoding="utf-8"
    )
    assert bulkpoc("init").exit_code == 0
    assert Store(f"sqlite:///{folder / 'from-file.db'}").list_users()

    monkeypatch.setenv("BULKPOC_DATABASE_URL", f"sqlite:///{folder / 'from-env.db'}")
    assert bulkpoc("init").exit_code == 0
    assert (folder / "from-env.db").exists()

    assert bulkpoc("--db", f"sqlite:///{folder / 'from-option.db'}", "init").exit_code == 0
    assert (folder / "from-option.db").exists()
    assert not (folder / "bulkpoc.db").exists()


def test_settings_prints_each_value_and_where_it_comes_from(folder, monkeypatch):
    (folder / "bulkpoc.toml").write_text(
        'smtp_host = "mail.example.com"\nsmtp_password = "hunter2"\n', encoding="utf-8"
    )
    monkeypatch.setenv("BULKPOC_SMTP_PORT", "2525")
    result = bulkpoc("settings")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "smtp_host = mail.example.com  # bulkpoc.toml" in lines
    assert "smtp_port = 2525  # BULKPOC_SMTP_PORT" in lines
    assert "smtp_password = ********  # bulkpoc.toml" in lines
    assert "smtp_user = (not set)  # default" in lines
    assert "database_url = sqlite:///bulkpoc.db  # default" in lines
    assert "hunter2" not in result.output
    assert len(lines) == len(Settings.model_fields)  # one line per setting


def test_settings_json_has_the_values_and_their_sources(folder, monkeypatch):
    monkeypatch.setenv("BULKPOC_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("BULKPOC_LOCK_TIMEOUT", "5")
    result = bulkpoc(
        "--db", "postgresql://bulk:secret@db.example.com/bulkpoc", "settings", "--json"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["settings"]["lock_timeout"] == 5
    assert shown["settings"]["smtp_port"] is None
    assert shown["settings"]["smtp_password"] == "********"
    assert shown["settings"]["database_url"] == "postgresql://bulk:***@db.example.com/bulkpoc"
    assert shown["sources"]["lock_timeout"] == "BULKPOC_LOCK_TIMEOUT"
    assert shown["sources"]["database_url"] == "--db"
    assert shown["sources"]["mail_from"] == "default"
    assert set(shown["settings"]) == set(shown["sources"])
    assert "hunter2" not in result.output
    assert "secret" not in result.output


def test_a_db_option_that_is_not_a_url_is_a_usage_error(folder):
    result = bulkpoc("--db", "nonsense", "users", "list")
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: Invalid value for '--db': must be a store URL such as sqlite:///bulkpoc.db or "
        "postgresql://…, not 'nonsense'.\n"
    )


def test_db_works_after_the_command_name_too(folder):
    """`bulkpoc history --db URL` as well as `bulkpoc --db URL history`, on every command."""
    url = f"sqlite:///{folder / 'after.db'}"
    assert bulkpoc("init", "--db", url).exit_code == 0
    assert (folder / "after.db").exists()
    assert not (folder / "bulkpoc.db").exists()
    assert bulkpoc("history", "--db", url).exit_code == 0
    assert (
        bulkpoc("users", "add", "carol", "--permission", "Skills Edit", "--db", url).exit_code == 0
    )
    listed = bulkpoc("users", "list", "--db", url)
    assert "carol" in listed.output, listed.output
    assert not (folder / "bulkpoc.db").exists()
    shown = json.loads(bulkpoc("settings", "--json", "--db", url).output)
    assert shown["settings"]["database_url"] == url
    assert shown["sources"]["database_url"] == "--db"
    # The one after the command name is nearer the command, so it wins.
    other = f"sqlite:///{folder / 'other.db'}"
    shown = json.loads(bulkpoc("--db", other, "settings", "--json", "--db", url).output)
    assert shown["settings"]["database_url"] == url


def test_a_bad_db_option_after_the_command_is_a_usage_error_too(folder):
    result = bulkpoc("users", "list", "--db", "nonsense")
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: Invalid value for '--db': must be a store URL such as sqlite:///bulkpoc.db or "
        "postgresql://…, not 'nonsense'.\n"
    )


def test_every_command_takes_db():
    def commands(group: click.Group, path: str):
        for name, command in group.commands.items():
            yield f"{path} {name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{path} {name}")

    lacking = [
        path
        for path, command in commands(cli, "bulkpoc")
        if not any("--db" in param.opts for param in command.params)
    ]
    assert lacking == []
