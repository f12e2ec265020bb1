"""Settings (issue 10): BULKPOC_* variables over an optional bulkpoc.toml over the defaults."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bulkpoc.config import DEFAULT_DATABASE_URL, Settings, origins, proxy_list
from bulkpoc.domain.errors.types import SettingsError

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process as a user starts it: no BULKPOC_* variables, an empty working folder."""
    for name in list(os.environ):
        if name.upper().startswith("BULKPOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_work_on_a_fresh_machine() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///bulkpoc.db"
    assert settings.default_region == "US"
    assert settings.report_dir == Path("bulkpoc-reports")
    assert settings.outbox_dir == Path("bulkpoc-outbox")
    assert (settings.smtp_host, settings.smtp_user, settings.smtp_password) == (None, None, None)
    assert settings.smtp_security == "none"
    assert settings.effective_smtp_port == 25
    assert settings.smtp_timeout == 30
    assert settings.mail_from == "bulkpoc@localhost"
    assert settings.lock_timeout == 600
    assert settings.inbox_settle_seconds == 2
    assert settings.heartbeat_seconds == 10
    assert settings.stale_after_seconds == 60
    assert settings.mail_retry_seconds == 60
    assert settings.mail_retry_max_seconds == 3600
    assert settings.worker_concurrency == 1
    assert settings.upload_max_bytes == 52_428_800


def test_environment_variables_override_the_defaults() -> None:
    settings = Settings.from_env(
        {
            "BULKPOC_DATABASE_URL": "postgresql://bulk@db.example.com/bulkpoc",
            "BULKPOC_DEFAULT_REGION": "gb",
            "BULKPOC_REPORT_DIR": "/srv/reports",
            "BULKPOC_SMTP_HOST": "mail.example.com",
            "BULKPOC_SMTP_PORT": "2525",
            "BULKPOC_SMTP_SECURITY": "STARTTLS",
            "BULKPOC_SMTP_USER": "bulk",
            "BULKPOC_SMTP_PASSWORD": "hunter2",
            "BULKPOC_LOCK_TIMEOUT": "1.5",
            "BULKPOC_WORKER_CONCURRENCY": "4",
            "BULKPOC_UPLOAD_MAX_BYTES": "1048576",
        }
    )
    assert settings.database_url == "postgresql://bulk@db.example.com/bulkpoc"
    assert settings.default_region == "GB"
    assert settings.report_dir == Path("/srv/reports")
    assert settings.smtp_host == "mail.example.com"
    assert settings.effective_smtp_port == 2525
    assert settings.smtp_security == "starttls"
    assert settings.smtp_user == "bulk"
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "hunter2"
    assert settings.lock_timeout == 1.5
    assert settings.worker_concurrency == 4
    assert settings.upload_max_bytes == 1_048_576


def test_blank_smtp_variables_mean_unset() -> None:
    settings = Settings.from_env(
        {"BULKPOC_SMTP_HOST": "", "BULKPOC_SMTP_PORT": " ", "BULKPOC_SMTP_PASSWORD": ""}
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_password) == (None, None, None)


@pytest.mark.parametrize(("security", "port"), [("none", 25), ("starttls", 587), ("tls", 465)])
def test_the_smtp_port_defaults_to_the_one_the_security_mode_uses(security: str, port: int) -> None:
    settings = Settings.from_env({"BULKPOC_SMTP_SECURITY": security})
    assert settings.effective_smtp_port == port
    chosen = Settings.from_env({"BULKPOC_SMTP_SECURITY": security, "BULKPOC_SMTP_PORT": "2525"})
    assert chosen.effective_smtp_port == 2525


def test_settings_cannot_be_changed_once_read() -> None:
    settings = Settings.from_env({})
    with pytest.raises(ValueError, match="frozen"):
        settings.smtp_host = "mail.example.com"  # type: ignore[misc]
    copy = settings.model_copy(update={"smtp_host": "mail.example.com"})
    assert (settings.smtp_host, copy.smtp_host) == (None, "mail.example.com")


def test_the_process_environment_is_read_when_no_mapping_is_given(machine, monkeypatch) -> None:
    monkeypatch.setenv("BULKPOC_SMTP_HOST", "mail.example.com")
    assert Settings.from_env().smtp_host == "mail.example.com"


def test_a_given_mapping_reads_neither_the_process_environment_nor_bulkpoc_toml(
    machine, monkeypatch
) -> None:
    monkeypatch.setenv("BULKPOC_SMTP_HOST", "from-environment.example.com")
    write_toml(machine / "bulkpoc.toml", 'mail_from = "from-file@example.com"\n')
    settings = Settings.from_env({})
    assert settings.smtp_host is None
    assert settings.mail_from == "bulkpoc@localhost"


def test_bulkpoc_toml_in_the_working_folder_is_read(machine) -> None:
    write_toml(
        machine / "bulkpoc.toml",
        'smtp_host = "mail.example.com"\nsmtp_security = "tls"\nlock_timeout = 5\n'
        'report_dir = "reports"\n',
    )
    settings = Settings.from_env()
    assert settings.smtp_host == "mail.example.com"
    assert settings.effective_smtp_port == 465
    assert settings.lock_timeout == 5
    assert settings.report_dir == Path("reports")
    assert origins()["smtp_host"] == "bulkpoc.toml"
    assert origins()["mail_from"] == "default"


def test_no_bulkpoc_toml_is_fine(machine) -> None:
    assert Settings.from_env() == Settings.from_env({})


def test_bulkpoc_config_names_the_toml_file(machine, tmp_path) -> None:
    path = write_toml(tmp_path / "elsewhere.toml", 'mail_from = "ops@example.com"\n')
    write_toml(machine / "bulkpoc.toml", 'mail_from = "ignored@example.com"\n')
    assert Settings.from_env({"BULKPOC_CONFIG": str(path)}).mail_from == "ops@example.com"


def test_a_missing_file_named_by_bulkpoc_config_is_an_error(tmp_path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"BULKPOC_CONFIG": str(missing)})
    assert str(raised.value) == f"BULKPOC_CONFIG names {missing}, which is not a file."


def test_environment_variables_beat_the_toml_file(machine, monkeypatch) -> None:
    write_toml(machine / "bulkpoc.toml", 'smtp_host = "file.example.com"\nsmtp_port = 26\n')
    monkeypatch.setenv("BULKPOC_SMTP_HOST", "env.example.com")
    settings = Settings.from_env()
    assert (settings.smtp_host, settings.smtp_port) == ("env.example.com", 26)
    assert origins()["smtp_host"] == "BULKPOC_SMTP_HOST"
    assert origins()["smtp_port"] == "bulkpoc.toml"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMTP_PORT", "abc", "must be a whole number from 1 to 65535, not 'abc'."),
        ("SMTP_PORT", "0", "must be a whole number from 1 to 65535, not '0'."),
        ("SMTP_PORT", "65536", "must be a whole number from 1 to 65535, not '65536'."),
        ("SMTP_SECURITY", "ssl", "must be one of none, starttls, tls, not 'ssl'."),
        ("SMTP_TIMEOUT", "0", "must be a number greater than 0, not '0'."),
        ("LOCK_TIMEOUT", "-1", "must be a number of at least 0, not '-1'."),
        ("LOCK_TIMEOUT", "soon", "must be a number of at least 0, not 'soon'."),
        ("INBOX_SETTLE_SECONDS", "-0.5", "must be a number of at least 0, not '-0.5'."),
        ("HEARTBEAT_SECONDS", "0", "must be a number greater than 0, not '0'."),
        ("STALE_AFTER_SECONDS", "5", "must be more than heartbeat_seconds (10), not '5'."),
        ("MAIL_RETRY_SECONDS", "0", "must be a number greater than 0, not '0'."),
        ("MAIL_RETRY_MAX_SECONDS", "30", "must be at least mail_retry_seconds (60), not '30'."),
        ("WORKER_CONCURRENCY", "0", "must be a whole number of at least 1, not '0'."),
        ("WORKER_CONCURRENCY", "1.5", "must be a whole number of at least 1, not '1.5'."),
        ("UPLOAD_MAX_BYTES", "0", "must be a whole number greater than 0, not '0'."),
        ("DEFAULT_REGION", "XX", "must be a two-letter region code such as US or GB, not 'XX'."),
        ("SESSION_IDLE_SECONDS", "0", "must be a whole number greater than 0, not '0'."),
        ("SESSION_MAX_SECONDS", "8h", "must be a whole number greater than 0, not '8h'."),
        ("HTTPS", "maybe", "must be true or false, not 'maybe'."),
        (
            "TRUSTED_PROXIES",
            "10.0.0.5, proxy.local",
            "must be IP addresses or networks separated by commas, such as "
            "10.0.0.5,10.1.0.0/16, not '10.0.0.5, proxy.local'.",
        ),
        (
            "DATABASE_URL",
            "not a url",
            "must be a store URL such as sqlite:///bulkpoc.db or postgresql://…, not 'not a url'.",
        ),
    ],
)
def test_a_bad_variable_fails_with_one_sentence_naming_it(name, value, message) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({f"BULKPOC_{name}": value})
    assert str(raised.value) == f"Setting BULKPOC_{name} {message}"


def test_the_session_and_proxy_settings_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "BULKPOC_SESSION_IDLE_SECONDS": "600",
            "BULKPOC_SESSION_MAX_SECONDS": "3600",
            "BULKPOC_HTTPS": "true",
            "BULKPOC_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16,::1",
        }
    )
    assert (settings.session_idle_seconds, settings.session_max_seconds) == (600, 3600)
    assert settings.https is True
    assert proxy_list(settings.trusted_proxies) == ["10.0.0.5", "10.1.0.0/16", "::1"]
    defaults = Settings.from_env({})
    assert (defaults.session_idle_seconds, defaults.session_max_seconds) == (3600, 28800)
    assert (defaults.https, proxy_list(defaults.trusted_proxies)) == (False, [])


def test_several_bad_settings_name_the_first_and_count_the_rest() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {"BULKPOC_SMTP_PORT": "abc", "BULKPOC_LOCK_TIMEOUT": "-1", "BULKPOC_SMTP_TIMEOUT": "0"}
        )
    assert str(raised.value) == (
        "Setting BULKPOC_SMTP_PORT must be a whole number from 1 to 65535, not 'abc' "
        "(and 2 more problems)."
    )


def test_a_bad_toml_value_is_named_with_its_file(tmp_path) -> None:
    path = write_toml(tmp_path / "bulkpoc.toml", "smtp_port = 70000\n")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"BULKPOC_CONFIG": str(path)})
    assert str(raised.value) == (
        f"Setting smtp_port in {path} must be a whole number from 1 to 65535, not 70000."
    )


def test_an_unknown_toml_key_is_refused_with_a_suggestion(tmp_path) -> None:
    path = write_toml(tmp_path / "bulkpoc.toml", 'smtp_hots = "mail.example.com"\n')
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"BULKPOC_CONFIG": str(path)})
    assert str(raised.value) == (
        f"{path} sets 'smtp_hots', which is not a bulkpoc setting (did you mean smtp_host?)."
    )


def test_a_toml_syntax_error_is_one_sentence_naming_the_file(tmp_path) -> None:
    path = write_toml(tmp_path / "bulkpoc.toml", "smtp_host = mail.example.com\n")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"BULKPOC_CONFIG": str(path)})
    assert str(raised.value) == (
        f"The settings file {path} is not valid TOML: Invalid value (at line 1, column 13)."
    )


def test_the_smtp_password_is_never_printed(tmp_path) -> None:
    settings = Settings.from_env({"BULKPOC_SMTP_PASSWORD": "hunter2"})
    for text in (repr(settings), str(settings), settings.model_dump_json(), str(settings.shown())):
        assert "hunter2" not in text
    assert settings.shown()["smtp_password"] == "********"

    path = write_toml(tmp_path / "bulkpoc.toml", "smtp_password = 12345678\n")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"BULKPOC_CONFIG": str(path)})
    assert str(raised.value) == f"Setting smtp_password in {path} must be text, not ********."


def test_the_database_password_is_hidden_when_shown() -> None:
    settings = Settings.from_env({"BULKPOC_DATABASE_URL": "postgresql://bulk:hunter2@db/bulkpoc"})
    assert settings.shown()["database_url"] == "postgresql://bulk:***@db/bulkpoc"
    assert settings.database_url == "postgresql://bulk:hunter2@db/bulkpoc"


def test_the_readme_lists_every_setting_and_its_example_file_loads(tmp_path) -> None:
    readme = README.read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z_]+)` \| `(BULKPOC_[A-Z_]+)` \|", readme, re.M)
    assert listed == [(name, f"BULKPOC_{name.upper()}") for name in Settings.model_fields]
    example = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert example is not None
    path = write_toml(tmp_path / "bulkpoc.toml", example.group(1))
    settings = Settings.from_env({"BULKPOC_CONFIG": str(path)})
    assert settings.smtp_security == "starttls"
    assert settings.effective_smtp_port == 587
