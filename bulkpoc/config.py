"""Settings: ``BULKPOC_*`` environment variables over an optional ``bulkpoc.toml`` over defaults.

pydantic-settings reads and converts them; ``Settings.from_env`` is the one loader, and turns a
bad value into a ``SettingsError`` whose one sentence names the setting where the user wrote it.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bulkpoc.domain.errors.types import SettingsError

ENV_PREFIX = "BULKPOC_"
CONFIG_VARIABLE = "BULKPOC_CONFIG"
DEFAULT_CONFIG_FILE = Path("bulkpoc.toml")
DEFAULT_DATABASE_URL = "sqlite:///bulkpoc.db"
SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}
SECRET = "********"

# The mapping from_env(environ) was given, for settings_customise_sources to read instead of
# the process environment (None: read os.environ and ./bulkpoc.toml).
_given_environ: ContextVar[Mapping[str, str] | None] = ContextVar("given_environ", default=None)


class Settings(BaseSettings):
    """Where the store, the reports and the outgoing mail go, and how patient a batch is."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, description="The store: a SQLite file or a postgresql:// URL."
    )
    default_region: str = Field(
        default="US",
        description="Region of phone numbers written without a country code.",
        validate_default=False,  # a region given is checked; "US" needs no phonenumbers import
    )
    report_dir: Path = Field(
        default=Path("bulkpoc-reports"), description="Where each batch's report and error file go."
    )
    outbox_dir: Path = Field(
        default=Path("bulkpoc-outbox"), description="Where results emails go as .eml without SMTP."
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server; unset: write to the outbox."
    )
    smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="SMTP port; unset: 25, 587 for starttls, 465 for tls.",
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="none, starttls, or tls (implicit TLS from the first byte)."
    )
    smtp_user: str | None = Field(default=None, description="SMTP login name; unset: no login.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password; never shown.")
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA bundle to trust for the SMTP server's certificate; unset: the system's.",
    )
    smtp_timeout: float = Field(
        default=30, gt=0, description="Seconds to wait for the SMTP server."
    )
    mail_from: str = Field(default="bulkpoc@localhost", description="Sender of the results emails.")
    lock_timeout: float = Field(
        default=600, ge=0, description="Seconds a batch waits for another to release the store."
    )
    inbox_settle_seconds: float = Field(
        default=2,
        ge=0,
        description="Seconds between two looks at an inbox file, to tell it is no longer written.",
    )
    heartbeat_seconds: float = Field(
        default=10, gt=0, description="How often a running batch records that it is alive."
    )
    stale_after_seconds: float = Field(
        default=60,
        gt=0,
        description="A running batch silent this long (on another machine) is interrupted.",
    )
    mail_retry_seconds: float = Field(
        default=60, gt=0, description="First retry delay for an email the SMTP server refused."
    )
    mail_retry_max_seconds: float = Field(
        default=3600, gt=0, description="The retry delay doubles up to this many seconds."
    )
    mail_attachment_max_bytes: int = Field(
        default=10 * 1000 * 1000,
        gt=0,
        description="Largest changes.csv a results email attaches (zipped if larger); 10 MB.",
    )
    worker_concurrency: int = Field(default=1, ge=1, description="Batches one worker runs at once.")
    upload_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        gt=0,
        description="Largest file the web UI and the API accept, in bytes (default 50 MB).",
    )
    session_idle_seconds: int = Field(
        default=3600, gt=0, description="A web UI session unused this long ends (log in again)."
    )
    session_max_seconds: int = Field(
        default=8 * 3600, gt=0, description="A web UI session ends this long after its login."
    )
    https: bool = Field(
        default=False,
        description="The web UI is reached over HTTPS: its cookies are sent over HTTPS only.",
    )
    public_url: str | None = Field(
        default=None,
        description="The web UI's address as its users reach it (https://bulkpoc.example.com), "
        "for the links in results emails; unset: emails carry no links.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; unset: none.",
    )

    changes_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days a finished batch keeps its change records (and so can be undone); "
        "the scheduler removes older ones once a day; unset: kept forever.",
    )

    @field_validator(
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_password",
        "smtp_ca_file",
        "changes_retention_days",
        "public_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers  # only when a region is configured: it costs the start-up 40 ms

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("a two-letter region code such as US or GB")
        return region

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from urllib.parse import urlsplit  # only when an address is configured

        address = value.strip().rstrip("/")
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("the web UI's address, such as https://bulkpoc.example.com")
        return address

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for item in proxy_list(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    "IP addresses or networks separated by commas, such as 10.0.0.5,10.1.0.0/16"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        return store_url(value)

    @field_validator("stale_after_seconds")
    @classmethod
    def _longer_than_heartbeat(cls, value: float, info: ValidationInfo) -> float:
        # Otherwise a batch that is alive and well looks dead between two heartbeats.
        heartbeat = info.data.get("heartbeat_seconds")
        if heartbeat is not None and value <= heartbeat:
            raise ValueError(f"more than heartbeat_seconds ({heartbeat:g})")
        return value

    @field_validator("mail_retry_max_seconds")
    @classmethod
    def _not_below_first_retry(cls, value: float, info: ValidationInfo) -> float:
        first = info.data.get("mail_retry_seconds")
        if first is not None and value < first:
            raise ValueError(f"at least mail_retry_seconds ({first:g})")
        return value

    @property
    def effective_smtp_port(self) -> int:
        """``smtp_port``, or the usual port for ``smtp_security``."""
        return self.smtp_port or SMTP_PORTS[self.smtp_security]

    def shown(self) -> dict[str, Any]:
        """The values as JSON-ready data safe to print: no SMTP or database password."""
        values = self.model_dump(mode="json")
        if self.smtp_password is not None:
            values["smtp_password"] = SECRET
        values["database_url"] = make_url(self.database_url).render_as_string(hide_password=True)
        return values

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = _given_environ.get()
        if given is not None:
            env_settings = EnvSettingsSource(settings_cls)
            # Case-insensitive names, as pydantic-settings reads os.environ.
            env_settings.env_vars = {name.lower(): value for name, value in given.items()}
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file(given))
        return init_settings, env_settings, toml

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``environ`` (default: the process environment) and the TOML file.

        Given a mapping, read only that: not os.environ, and not ./bulkpoc.toml unless the
        mapping names a file in BULKPOC_CONFIG (tests pass ``{}`` to get the defaults).
        """
        token = _given_environ.set(environ)
        try:
            return cls()
        except ValidationError as error:
            raise SettingsError(_sentence(error, origins(environ), config_file(environ))) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(
                f"The settings file {config_file(environ)} is not valid TOML: {error}."
            ) from None
        except OSError as error:
            raise SettingsError(
                f"The settings file {config_file(environ)} cannot be read: {error.strerror}."
            ) from None
        finally:
            _given_environ.reset(token)


def proxy_list(value: str) -> list[str]:
    """The addresses and networks a ``trusted_proxies`` value names."""
    return [item.strip() for item in value.split(",") if item.strip()]


def store_url(value: str) -> str:
    """``value`` if it parses as a database URL; else ValueError saying what it should be."""
    try:
        make_url(value)
    except ArgumentError:
        raise ValueError("a store URL such as sqlite:///bulkpoc.db or postgresql://…") from None
    return value


def config_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The TOML file to read: the one BULKPOC_CONFIG names, else ./bulkpoc.toml if it exists.

    With an explicit ``environ``, only a file that mapping names.
    """
    named = (os.environ if environ is None else environ).get(CONFIG_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(f"{CONFIG_VARIABLE} names {named}, which is not a file.")
        return path
    if environ is None and DEFAULT_CONFIG_FILE.is_file():
        return DEFAULT_CONFIG_FILE
    return None


def origins(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each setting comes from: its environment variable, the TOML file, or "default"."""
    env = os.environ if environ is None else environ
    env_names = {name.upper(): name for name in env}
    path = config_file(environ)
    in_file = TomlConfigSettingsSource(Settings, toml_file=path).toml_data if path else {}
    found = {}
    for name in Settings.model_fields:
        variable = env_names.get(f"{ENV_PREFIX}{name}".upper())
        if variable is not None:
            found[name] = variable
        elif name in in_file:
            found[name] = str(path)
        else:
            found[name] = "default"
    return found


def _sentence(error: ValidationError, where: dict[str, str], path: Path | None) -> str:
    """The first problem as one sentence that names the setting as the user wrote it."""
    problems = error.errors()
    first = problems[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = Settings.model_fields.get(name)
    if field is None:
        close = difflib.get_close_matches(name, Settings.model_fields, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        sentence = f"{path or 'The settings'} sets {name!r}, which is not a bulkpoc setting{hint}."
    else:
        expected = (
            str(first["ctx"]["error"]) if first["type"] == "value_error" else _expected(field)
        )
        shown = SECRET if SecretStr in _kinds(field) else repr(first["input"])
        origin = where.get(name, "default")
        if origin == "default":  # passed in code, not read
            origin = name
        elif path is not None and origin == str(path):
            origin = f"{name} in {path}"
        sentence = f"Setting {origin} must be {expected}, not {shown}."
    if len(problems) > 1:
        more = len(problems) - 1
        sentence = sentence[:-1] + f" (and {more} more problem{'s' if more > 1 else ''})."
    return sentence


def _kinds(field: FieldInfo) -> list[Any]:
    """The types a field accepts, without None."""
    union = get_origin(field.annotation) in (Union, UnionType)
    kinds = get_args(field.annotation) if union else (field.annotation,)
    return [kind for kind in kinds if kind is not type(None)]


def _expected(field: FieldInfo) -> str:
    """What a field accepts, in words, from its type and its bounds."""
    kind = _kinds(field)[0]
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(kind))
    if kind is bool:
        return "true or false"
    if kind not in (int, float):
        return "text"
    noun = "a whole number" if kind is int else "a number"
    bounds = {
        key: getattr(item, key)
        for item in field.metadata
        for key in ("gt", "ge", "le")
        if hasattr(item, key)
    }
    if "ge" in bounds and "le" in bounds:
        return f"{noun} from {bounds['ge']} to {bounds['le']}"
    if "gt" in bounds:
        return f"{noun} greater than {bounds['gt']}"
    if "ge" in bounds:
        return f"{noun} of at least {bounds['ge']}"
    return noun
