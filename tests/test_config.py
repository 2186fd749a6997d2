"""Settings from .env, the environment and flags: precedence, validation, secrets."""

from pathlib import Path

import pytest

from ao_mcp.config import OPTIONS, Secret, Settings, load_settings
from ao_mcp.errors import ConfigError

NO_DOTENV = Path("/nonexistent/.env")
CREDS = {"ACADEMYOCEAN_CLIENT_ID": "id-1", "ACADEMYOCEAN_CLIENT_SECRET": "top-secret-value"}


def test_defaults_and_endpoints() -> None:
    settings = load_settings(environ=CREDS, dotenv=NO_DOTENV)
    assert settings.base_url == "https://app.academyocean.com"
    assert settings.token_url == "https://app.academyocean.com/oauth/token"
    assert settings.api_url == "https://app.academyocean.com/api/v1/"
    assert settings.transport == "stdio" and not settings.sandbox and not settings.read_only
    assert settings.client_secret == Secret("top-secret-value")


def test_no_credentials_at_all_means_sandbox() -> None:
    settings = load_settings(environ={}, dotenv=NO_DOTENV)
    assert settings.sandbox and settings.sandbox_reason == "no credentials"


@pytest.mark.parametrize(("present", "missing"), [("ACADEMYOCEAN_CLIENT_ID", "ACADEMYOCEAN_CLIENT_SECRET"),
                                                 ("ACADEMYOCEAN_CLIENT_SECRET", "ACADEMYOCEAN_CLIENT_ID")])
def test_half_the_credentials_is_an_error_naming_the_missing_one(present: str, missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={present: CREDS[present]}, dotenv=NO_DOTENV)
    assert str(caught.value).startswith(f"{missing} is not set")
    assert "top-secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("AO_MCP_PORT", "eighty", "AO_MCP_PORT must be an integer"),
        ("AO_MCP_PORT", "70000", "AO_MCP_PORT must be between 1 and 65535"),
        ("AO_MCP_READ_ONLY", "maybe", "AO_MCP_READ_ONLY must be a boolean"),
        ("AO_MCP_TRANSPORT", "sse", "AO_MCP_TRANSPORT must be one of stdio, http"),
        ("ACADEMYOCEAN_BASE_URL", "ftp://example.com", "ACADEMYOCEAN_BASE_URL must be an http(s) URL"),
        ("AO_MCP_TIMEOUT", "-1", "AO_MCP_TIMEOUT must be between"),
        ("AO_MCP_BODY_ENCODING", "xml", "AO_MCP_BODY_ENCODING must be one of form, json"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={**CREDS, name: value}, dotenv=NO_DOTENV)
    assert words in str(caught.value)


def test_precedence_dotenv_then_environment_then_flags(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ACADEMYOCEAN_CLIENT_ID=from-dotenv\nACADEMYOCEAN_CLIENT_SECRET=x\nAO_MCP_PORT=9001\nAO_MCP_HOST=10.0.0.1\n")
    settings = load_settings({"port": 9003}, environ={"AO_MCP_HOST": "127.0.0.2", "AO_MCP_PORT": "9002"}, dotenv=dotenv)
    assert settings.client_id == "from-dotenv"
    assert settings.host == "127.0.0.2"
    assert settings.port == 9003


def test_empty_values_count_as_unset() -> None:
    settings = load_settings(environ={"ACADEMYOCEAN_CLIENT_ID": "", "ACADEMYOCEAN_CLIENT_SECRET": " "}, dotenv=NO_DOTENV)
    assert settings.sandbox


def test_webhook_secrets_are_comma_separated_and_hidden() -> None:
    settings = load_settings(environ={**CREDS, "ACADEMYOCEAN_WEBHOOK_SECRET": "old-one, new-one"}, dotenv=NO_DOTENV)
    assert [secret.reveal() for secret in settings.webhook_secrets] == ["old-one", "new-one"]
    shown = repr(settings) + str(settings)
    for secret in ("old-one", "new-one", "top-secret-value"):
        assert secret not in shown


def test_every_option_maps_to_a_settings_field_with_the_same_default() -> None:
    defaults = Settings()
    for option in OPTIONS:
        assert getattr(defaults, option.field) == option.default, option.env
        assert option.env.startswith(("ACADEMYOCEAN_", "AO_MCP_"))
