"""One typed Settings object: a TOML file overridden by INBOX_TRIAGE_* variables.

Sections map to environment names by joining section and key:
`[smtp] port` is `INBOX_TRIAGE_SMTP_PORT`; top-level keys such as `data_dir`
are `INBOX_TRIAGE_DATA_DIR`. Everything is validated once, at start-up, and a
bad or unknown key is reported by its name.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from inbox_triage.errors import ConfigError

ENV_PREFIX = "INBOX_TRIAGE_"
CONFIG_ENV = "INBOX_TRIAGE_CONFIG"
_IMAP_ATOM = re.compile(r"[^\x00-\x20\x7f(){%*\"\\\]]+")
_SEND_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class DatabaseSettings:
    """Where cases live. Empty url means a SQLite file inside data_dir."""

    url: str = ""
    echo: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP intake that the company's MTA forwards info@ to."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8025
    recipients: list[str] = field(default_factory=lambda: ["info@clmaster.eu"])
    max_message_bytes: int = 50 * 1024 * 1024
    hostname: str = "inbox-triage.local"


@dataclass(frozen=True)
class WebSettings:
    """The staff web UI and JSON API."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = ""
    secret_key_file: str = ""
    session_max_age_seconds: int = 8 * 3600
    login_attempts_per_minute: int = 5
    forwarded_allow_ips: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    default_language: str = "hu"
    health_max_lag_seconds: int = 900


@dataclass(frozen=True)
class ImapSettings:
    """Optional IMAP polling of the company mailbox."""

    enabled: bool = False
    host: str = ""
    port: int = 993
    user: str = ""
    password: str = ""
    password_file: str = ""
    security: str = "ssl"
    folder: str = "INBOX"
    ca_file: str = ""
    poll_interval_seconds: int = 60
    mark: str = "keyword"
    keyword: str = "$InboxTriage"
    move_to: str = ""
    idle_timeout_seconds: int = 1740
    timeout_seconds: int = 60


@dataclass(frozen=True)
class ProcessorSettings:
    """How stored messages are processed."""

    poll_interval_seconds: float = 0.25
    max_attempts: int = 5
    retry_delay_seconds: int = 60
    batch_size: int = 50


@dataclass(frozen=True)
class CaseSettings:
    """Case numbering and threading."""

    reference_prefix: str = "GDPR"
    reopen_window_days: int = 30
    repeat_window_days: int = 90


@dataclass(frozen=True)
class DeadlineSettings:
    """Calendar and policy choices for the deadline engine."""

    timezone: str = "Europe/Budapest"
    policy_file: str = ""
    extra_holidays: list[str] = field(default_factory=list)
    christmas_eve_is_holiday: bool = True
    pause_clock_during_verification: bool = False


@dataclass(frozen=True)
class OutgoingSettings:
    """The company's SMTP relay that approved replies are sent through (the outbox)."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = ""
    password_file: str = ""
    ca_file: str = ""
    from_address: str = "Cloudmaster Kft. <info@clmaster.eu>"
    max_attempts: int = 8
    retry_delay_seconds: int = 300
    timeout_seconds: int = 60


@dataclass(frozen=True)
class LoggingSettings:
    """Log level and format; personal data stays out unless level is DEBUG."""

    level: str = "INFO"
    format: str = "text"


@dataclass(frozen=True)
class DigestSettings:
    """The staff digest e-mail and deadline reminders sent by the scheduler inside `serve`.

    `send_time` is local time (deadlines.timezone) on working days; empty
    `recipients` means every active web user; thresholds are working days left.
    """

    send_time: str = "08:00"
    due_within_working_days: int = 5
    skip_empty: bool = False
    recipients: list[str] = field(default_factory=list)
    reminder_thresholds: list[int] = field(default_factory=lambda: [5, 2])


@dataclass(frozen=True)
class VerificationSettings:
    """Identity verification challenges: a one-time code sent to an on-file address."""

    code_length: int = 8
    expiry_days: int = 7
    max_attempts: int = 5
    issue_automatically: bool = True


@dataclass(frozen=True)
class Settings:
    """Every setting of the product, validated."""

    data_dir: Path = Path("var")
    trusted_authserv_ids: list[str] = field(default_factory=list)
    trusted_received_hosts: list[str] = field(default_factory=list)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    web: WebSettings = field(default_factory=WebSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    processor: ProcessorSettings = field(default_factory=ProcessorSettings)
    cases: CaseSettings = field(default_factory=CaseSettings)
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    outgoing: OutgoingSettings = field(default_factory=OutgoingSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    verification: VerificationSettings = field(default_factory=VerificationSettings)

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL, defaulting to a SQLite file in data_dir."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'inbox-triage.db').resolve()}"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if any) and the environment, and validate both."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV])
    document: dict[str, Any] = {}
    if path is not None:
        document = read_toml_file(path)
    settings = _build(Settings, document, prefix="", environ=environ)
    _check(settings)
    return settings


def read_toml_file(path: Path, what: str = "configuration file") -> dict[str, Any]:
    """A TOML document, or one ConfigError naming the file (missing, or not valid TOML)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{what} {path} is not valid TOML: {error}") from None


def _build(cls: type, document: Mapping[str, Any], prefix: str, environ: Mapping[str, str]) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in document:
        if key not in names:
            raise ConfigError(f"unknown configuration key '{prefix}{key}'")
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        hint = hints[item.name]
        dotted = f"{prefix}{item.name}"
        if dataclasses.is_dataclass(hint):
            section = document.get(item.name, {})
            if not isinstance(section, Mapping):
                raise ConfigError(f"configuration key '{dotted}' must be a table")
            values[item.name] = _build(hint, section, f"{dotted}.", environ)
            continue
        env_name = ENV_PREFIX + dotted.replace(".", "_").upper()
        if env_name in environ:
            values[item.name] = _from_env(hint, environ[env_name], env_name)
        elif item.name in document:
            values[item.name] = _from_toml(hint, document[item.name], dotted)
    return cls(**values)


def _from_env(hint: Any, raw: str, name: str) -> Any:
    if _is_list(hint):
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if _list_item(hint) is int:
            return [_from_toml(int, part, name, from_text=True) for part in parts]
        return parts
    if hint is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    return _from_toml(hint, raw, name, from_text=True)


def _from_toml(hint: Any, value: Any, name: str, from_text: bool = False) -> Any:
    try:
        if _is_list(hint) and _list_item(hint) is int:
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise ValueError("expected a list of integers")
            return list(value)
        if _is_list(hint):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of strings")
            return list(value)
        if hint is bool:
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError("expected an integer")
            return int(value)
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError("expected a number")
            return float(value)
        if hint is Path:
            if not isinstance(value, str):
                raise ValueError("expected a path")
            return Path(value)
        if hint is str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            return value
    except ValueError as error:
        message = str(error)
        if message.startswith("invalid literal"):
            message = "expected an integer" if hint is int else "expected a number"
        raise ConfigError(f"{name}: {message}, got {value!r}") from None
    raise ConfigError(f"{name}: unsupported setting type {hint!r}")  # pragma: no cover


def _is_list(hint: Any) -> bool:
    return get_origin(hint) is list or (
        get_origin(hint) in (Union, types.UnionType) and list in get_args(hint)
    )


def _list_item(hint: Any) -> Any:
    """The element type of list[X] (or list[X] | None); str when unparameterised."""
    for candidate in (hint, *get_args(hint)):
        if get_origin(candidate) is list:
            args = get_args(candidate)
            return args[0] if args else str
    return str


def _check(settings: Settings) -> None:
    """Cross-field and range checks that types alone cannot express."""
    for dotted, port in (
        ("smtp.port", settings.smtp.port),
        ("web.port", settings.web.port),
        ("imap.port", settings.imap.port),
    ):
        if not 0 <= port <= 65535:
            raise ConfigError(f"{dotted}: port must be between 0 and 65535, got {port}")
    if settings.smtp.max_message_bytes <= 0:
        raise ConfigError("smtp.max_message_bytes: must be positive")
    if not settings.smtp.recipients:
        raise ConfigError("smtp.recipients: at least one recipient address is needed")
    if settings.imap.security not in {"ssl", "starttls", "none"}:
        raise ConfigError(
            f"imap.security: expected ssl, starttls or none, got {settings.imap.security!r}"
        )
    _check_imap(settings.imap)
    _check_outgoing(settings.outgoing)
    _check_digest(settings.digest)
    _check_verification(settings.verification)
    if settings.logging.level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"logging.level: unknown level {settings.logging.level!r}")
    if settings.logging.format not in {"text", "json"}:
        raise ConfigError(f"logging.format: expected text or json, got {settings.logging.format!r}")
    if settings.processor.max_attempts < 1:
        raise ConfigError("processor.max_attempts: must be at least 1")


def _check_imap(imap: ImapSettings) -> None:
    """IMAP choices that would fail on the first poll, or send the password in clear."""
    if imap.security == "none" and imap.host and not is_loopback_host(imap.host):
        raise ConfigError(
            f"imap.security: none (no TLS) is only allowed for a loopback host, not {imap.host!r}"
        )
    if imap.mark not in {"keyword", "move", "flag"}:
        raise ConfigError(f"imap.mark: expected keyword, move or flag, got {imap.mark!r}")
    if not _IMAP_ATOM.fullmatch(imap.keyword):
        raise ConfigError(f"imap.keyword: not a valid IMAP keyword: {imap.keyword!r}")
    if imap.mark == "move" and not imap.move_to:
        raise ConfigError("imap.move_to: a folder is needed when imap.mark is move")
    if imap.mark == "move" and imap.move_to == imap.folder:
        raise ConfigError("imap.move_to: must differ from imap.folder")
    if not 1 <= imap.idle_timeout_seconds <= 1740:
        raise ConfigError("imap.idle_timeout_seconds: must be between 1 and 1740 (29 minutes)")
    if imap.poll_interval_seconds < 1:
        raise ConfigError("imap.poll_interval_seconds: must be at least 1")
    if imap.timeout_seconds < 1:
        raise ConfigError("imap.timeout_seconds: must be at least 1")


def _check_outgoing(outgoing: OutgoingSettings) -> None:
    """Relay choices that would fail on the first send, or send the password in clear."""
    if outgoing.security not in {"ssl", "starttls", "none"}:
        raise ConfigError(
            f"outgoing.security: expected ssl, starttls or none, got {outgoing.security!r}"
        )
    if outgoing.security == "none" and outgoing.host and not is_loopback_host(outgoing.host):
        raise ConfigError(
            "outgoing.security: none (no TLS) is only allowed for a loopback host, "
            f"not {outgoing.host!r}"
        )
    if not 0 <= outgoing.port <= 65535:
        raise ConfigError(f"outgoing.port: port must be between 0 and 65535, got {outgoing.port}")
    if outgoing.password and outgoing.password_file:
        raise ConfigError("outgoing.password_file: give either password or password_file")
    if outgoing.max_attempts < 1:
        raise ConfigError("outgoing.max_attempts: must be at least 1")
    if outgoing.retry_delay_seconds < 1:
        raise ConfigError("outgoing.retry_delay_seconds: must be at least 1")
    if outgoing.timeout_seconds < 1:
        raise ConfigError("outgoing.timeout_seconds: must be at least 1")
    addresses = [a for _, a in getaddresses([outgoing.from_address]) if a]
    if len(addresses) != 1 or "@" not in addresses[0] or "\n" in outgoing.from_address:
        raise ConfigError(
            f"outgoing.from_address: expected one address, got {outgoing.from_address!r}"
        )


def _check_digest(digest: DigestSettings) -> None:
    """A send time that parses, sane windows, and addresses that are one address each."""
    if not _SEND_TIME.fullmatch(digest.send_time):
        raise ConfigError(f"digest.send_time: expected HH:MM (24-hour), got {digest.send_time!r}")
    if not 0 <= digest.due_within_working_days <= 60:
        raise ConfigError("digest.due_within_working_days: must be between 0 and 60")
    thresholds = digest.reminder_thresholds
    if any(not 1 <= value <= 60 for value in thresholds) or len(set(thresholds)) != len(thresholds):
        raise ConfigError(
            "digest.reminder_thresholds: expected distinct working-day counts between 1 and 60, "
            f"got {thresholds!r}"
        )
    for recipient in digest.recipients:
        addresses = [a for _, a in getaddresses([recipient]) if a]
        if len(addresses) != 1 or "@" not in addresses[0] or "\n" in recipient:
            raise ConfigError(f"digest.recipients: expected one address each, got {recipient!r}")


def _check_verification(verification: VerificationSettings) -> None:
    """Codes long enough not to be guessed within the allowed attempts, and a real expiry."""
    if not 6 <= verification.code_length <= 12:
        raise ConfigError("verification.code_length: must be between 6 and 12 digits")
    if verification.expiry_days < 1:
        raise ConfigError("verification.expiry_days: must be at least 1")
    if not 1 <= verification.max_attempts <= 20:
        raise ConfigError("verification.max_attempts: must be between 1 and 20")


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses, the only hosts allowed without TLS."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
