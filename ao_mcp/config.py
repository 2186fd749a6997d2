"""Settings: read from the environment, a ``.env`` file and command-line flags.

This module is the only reader of the environment. Every setting is declared
once in ``OPTIONS`` (environment name, parser, default, meaning, flag); the
``Settings`` object, the CLI flags and the README's configuration table are
derived from that table. A missing or malformed value raises ``ConfigError``
naming the variable; secret values are wrapped in ``Secret`` so that no repr,
log line or message can show them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ao_mcp.errors import ConfigError

__all__ = ["OPTIONS", "Option", "Secret", "Settings", "load_settings"]


class Secret:
    """A string that never shows itself: ``repr``/``str`` print ``'***'``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


Parser = Callable[[str, str], Any]


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _secret(name: str, raw: str) -> Secret:
    value = raw.strip()
    if not value:
        raise ConfigError(f"{name} is set but empty.")
    return Secret(value)


def _secrets(name: str, raw: str) -> tuple[Secret, ...]:
    values = [part.strip() for part in raw.split(",") if part.strip()]
    if not values:
        raise ConfigError(f"{name} is set but holds no secret (several may be given, comma-separated).")
    return tuple(Secret(value) for value in values)


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), not {raw.strip()[:40]!r}.")


def _number(kind: type, low: float, high: float) -> Parser:
    def parse(name: str, raw: str) -> Any:
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a{'n integer' if kind is int else ' number'}, not {raw.strip()[:40]!r}.") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {value:g}.")
        return value

    return parse


def _optional_port(name: str, raw: str) -> int | None:
    return None if not raw.strip() else _number(int, 1, 65535)(name, raw)


def _choice(*choices: str) -> Parser:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw.strip()[:40]!r}.")
        return value

    return parse


def _url(name: str, raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) URL such as https://app.academyocean.com, not {value[:80]!r}.")
    return value


def _names(name: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _log_level(name: str, raw: str) -> str:
    return _choice("debug", "info", "warning", "error")(name, raw).upper()


@dataclass(frozen=True)
class Option:
    """One setting: its field on ``Settings``, environment variable, parser and meaning."""

    field: str
    env: str
    parse: Parser
    default: Any
    help: str
    flag: str | None = None


_HOUR = 3600.0

OPTIONS: tuple[Option, ...] = (
    # AcademyOcean
    Option("client_id", "ACADEMYOCEAN_CLIENT_ID", _text, None, "OAuth client id of your AcademyOcean API application."),
    Option("client_secret", "ACADEMYOCEAN_CLIENT_SECRET", _secret, None, "OAuth client secret (never logged)."),
    Option("base_url", "ACADEMYOCEAN_BASE_URL", _url, "https://app.academyocean.com",
           "Service root; token endpoint {base}/oauth/token, API {base}/api/v1/."),
    Option("webhook_secrets", "ACADEMYOCEAN_WEBHOOK_SECRET", _secrets, (),
           "Webhook signing secret(s), comma-separated to rotate without downtime."),
    # Server
    Option("sandbox", "AO_MCP_SANDBOX", _bool, False,
           "Serve the built-in simulated academy (also automatic when no credentials are set).", "--sandbox"),
    Option("transport", "AO_MCP_TRANSPORT", _choice("stdio", "http"), "stdio", "stdio or http (streamable HTTP at /mcp).", "--transport"),
    Option("host", "AO_MCP_HOST", _text, "127.0.0.1", "HTTP transport bind address.", "--host"),
    Option("port", "AO_MCP_PORT", _number(int, 1, 65535), 8000, "HTTP transport port.", "--port"),
    Option("http_token", "AO_MCP_HTTP_TOKEN", _secret, None,
           "Bearer token required on /mcp; mandatory when binding a non-loopback address."),
    Option("allowed_hosts", "AO_MCP_ALLOWED_HOSTS", _names, (),
           "Extra Host names (comma-separated) accepted by the DNS-rebinding check, e.g. mcp.example.com."),
    Option("http_stateless", "AO_MCP_HTTP_STATELESS", _bool, False, "Stateless HTTP transport: any replica answers any request."),
    Option("log_level", "AO_MCP_LOG_LEVEL", _log_level, "INFO", "debug, info, warning or error (logs go to stderr).", "--log-level"),
    # Tools
    Option("toolsets", "AO_MCP_TOOLSETS", _names, ("all",), "Toolsets to enable, comma-separated, or all.", "--toolsets"),
    Option("tools", "AO_MCP_TOOLS", _names, (), "Single tools to enable in addition to the toolsets.", "--tools"),
    Option("exclude_tools", "AO_MCP_EXCLUDE_TOOLS", _names, (), "Tools to leave out.", "--exclude-tools"),
    Option("read_only", "AO_MCP_READ_ONLY", _bool, False, "List and allow only read-only tools.", "--read-only"),
    Option("confirm_destructive", "AO_MCP_CONFIRM_DESTRUCTIVE", _bool, True,
           "Ask before deleting or revoking; 0 for unattended pipelines."),
    Option("max_items", "AO_MCP_MAX_ITEMS", _number(int, 1, 1000), 25, "Default cap on items in a list result."),
    Option("max_result_chars", "AO_MCP_MAX_RESULT_CHARS", _number(int, 2_000, 2_000_000), 40_000,
           "Budget for one tool result in JSON characters; lists are cut to fit."),
    # API client
    Option("body_encoding", "AO_MCP_BODY_ENCODING", _choice("form", "json"), "form",
           "form (PHP bracket form, as the documentation's samples) or json."),
    Option("timeout", "AO_MCP_TIMEOUT", _number(float, 0.1, 600), 30.0, "Seconds to wait for an API answer."),
    Option("connect_timeout", "AO_MCP_CONNECT_TIMEOUT", _number(float, 0.1, 120), 10.0, "Seconds to wait for a connection."),
    Option("retries", "AO_MCP_RETRIES", _number(int, 0, 10), 3, "Retries of a read after 429/502/503/504, timeouts, connect errors."),
    Option("retry_deadline", "AO_MCP_RETRY_DEADLINE", _number(float, 0.5, 3600), 60.0,
           "Seconds one call may take, retries included."),
    Option("token_cache", "AO_MCP_TOKEN_CACHE", _text, "",
           "Keep the access token across restarts: a file path (mode 0600), or redis://host:port/db shared "
           "by replicas; empty keeps it in memory only."),
    # Webhooks
    Option("webhook_host", "AO_MCP_WEBHOOK_HOST", _text, "127.0.0.1", "Receiver bind address in stdio mode."),
    Option("webhook_port", "AO_MCP_WEBHOOK_PORT", _optional_port, None,
           "Receiver port in stdio mode (unset: no receiver; with http it shares the /mcp port).", "--webhook-port"),
    Option("webhook_insecure", "AO_MCP_WEBHOOK_INSECURE", _bool, False,
           "Accept unsigned webhooks when no secret is set (local experiments only)."),
    Option("webhook_max_body", "AO_MCP_WEBHOOK_MAX_BODY", _number(int, 1024, 16 * 1024 * 1024), 256 * 1024,
           "Largest webhook body accepted, in bytes."),
    Option("event_store", "AO_MCP_EVENT_STORE", _text, "memory",
           "memory, sqlite:///path/to/events.db or redis://host:port/db."),
    Option("event_buffer_size", "AO_MCP_EVENT_BUFFER_SIZE", _number(int, 10, 10_000_000), 1000, "Events kept."),
    Option("event_max_age", "AO_MCP_EVENT_MAX_AGE", _number(float, 60, 365 * 24 * _HOUR), 7 * 24 * _HOUR,
           "Seconds an event is kept."),
    # Sandbox
    Option("sandbox_seed", "AO_MCP_SANDBOX_SEED", _number(int, 0, 2**31), 7, "Seed of the simulated academy."),
    Option("sandbox_learners", "AO_MCP_SANDBOX_LEARNERS", _number(int, 1, 1_000_000), 200, "Learners in the simulated academy."),
    Option("sandbox_activity", "AO_MCP_SANDBOX_ACTIVITY", _number(float, 0, 86_400), 20.0,
           "Seconds between simulated learner activities (0 = off)."),
    Option("sandbox_token_lifetime", "AO_MCP_SANDBOX_TOKEN_LIFETIME", _number(float, 1, 365 * 24 * _HOUR), 604_800.0,
           "Lifetime of simulated access tokens, in seconds."),
)


@dataclass(frozen=True)
class Settings:
    """The server's whole configuration; build it with ``load_settings()``."""

    client_id: str | None = None
    client_secret: Secret | None = None
    base_url: str = "https://app.academyocean.com"
    webhook_secrets: tuple[Secret, ...] = ()
    sandbox: bool = False
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    http_token: Secret | None = None
    allowed_hosts: tuple[str, ...] = ()
    http_stateless: bool = False
    log_level: str = "INFO"
    toolsets: tuple[str, ...] = ("all",)
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    read_only: bool = False
    confirm_destructive: bool = True
    max_items: int = 25
    max_result_chars: int = 40_000
    body_encoding: str = "form"
    timeout: float = 30.0
    connect_timeout: float = 10.0
    retries: int = 3
    retry_deadline: float = 60.0
    token_cache: str = ""
    webhook_host: str = "127.0.0.1"
    webhook_port: int | None = None
    webhook_insecure: bool = False
    webhook_max_body: int = 256 * 1024
    event_store: str = "memory"
    event_buffer_size: int = 1000
    event_max_age: float = 7 * 24 * _HOUR
    sandbox_seed: int = 7
    sandbox_learners: int = 200
    sandbox_activity: float = 20.0
    sandbox_token_lifetime: float = 604_800.0
    #: Why sandbox mode is on ("requested" or "no credentials"), empty otherwise.
    sandbox_reason: str = field(default="", compare=False)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # deferred: only costs when a .env exists

    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Could not read {path}: {exc.__class__.__name__}.") from None
    return {key: value for key, value in values.items() if value is not None}


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
) -> Settings:
    """Build ``Settings`` from ``.env`` < environment < ``overrides`` (parsed CLI flags by field name).

    ``environ`` defaults to ``os.environ``; ``dotenv`` to ``./.env`` (pass a
    non-existent path to skip it). Raises ``ConfigError`` naming the first bad variable.
    """
    env: dict[str, str] = _read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")
    env.update(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = env.get(option.env)
        if raw is not None and (raw.strip() or option.parse in (_bool, _optional_port)):
            values[option.field] = option.parse(option.env, raw)
    known = {f.name for f in fields(Settings)}
    for key, value in (overrides or {}).items():
        if key not in known:
            raise ConfigError(f"Unknown setting {key!r}.")
        if value is not None:
            values[key] = value
    return _complete(Settings(**values))


def _complete(settings: Settings) -> Settings:
    """Cross-field rules: credentials come in pairs; none at all means the sandbox."""
    has_id, has_secret = bool(settings.client_id), settings.client_secret is not None
    if settings.sandbox:
        return replace(settings, sandbox_reason="requested")
    if has_id != has_secret:
        missing = "ACADEMYOCEAN_CLIENT_SECRET" if has_id else "ACADEMYOCEAN_CLIENT_ID"
        raise ConfigError(
            f"{missing} is not set. Set both ACADEMYOCEAN_CLIENT_ID and ACADEMYOCEAN_CLIENT_SECRET "
            "(Settings > API in your academy), or neither to use the built-in sandbox."
        )
    if not has_id:
        return replace(settings, sandbox=True, sandbox_reason="no credentials")
    return settings

