"""One error tree for the whole project, grouped by who can fix the problem.

::

    AOError                      every error text here is safe to show; none carries a secret
    ├── ConfigError              the operator: a setting is missing or malformed
    ├── InputError               the caller: tool arguments are invalid; nothing was sent
    └── APIError                 AcademyOcean or the way there (.action, .status)
        ├── AuthError            credentials or the OAuth application were rejected
        ├── TokenEndpointError   the token endpoint failed (.kind: unreachable, server_error, ...)
        ├── APIResponseError     the API answered {"error": {"message": ...}} (any HTTP status)
        ├── UpstreamError        5xx, 429 or an unreadable answer, after any retries
        └── TransportError       no usable answer: connect failure, timeout, reset

Errors of the layer below (httpx, json) are translated in exactly one place,
``ao_mcp.client``; everything above only sees this tree.
"""

from __future__ import annotations

__all__ = [
    "AOError",
    "APIError",
    "APIResponseError",
    "AuthError",
    "ConfigError",
    "InputError",
    "TokenEndpointError",
    "TransportError",
    "UpstreamError",
]


class AOError(Exception):
    """Base class. ``str(error)`` is a complete, user-facing sentence."""


class ConfigError(AOError):
    """A setting is missing or malformed; the message names the variable."""


class InputError(AOError):
    """Tool arguments were rejected before anything was sent to AcademyOcean."""


class APIError(AOError):
    """Talking to AcademyOcean failed.

    ``action`` is the API action (``None`` for the token endpoint), ``status`` the
    HTTP status when there was an answer, and ``sent`` whether the request may
    have reached the service (a write with ``sent=True`` may have taken effect).
    """

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        status: int | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.status = status
        self.sent = sent


class AuthError(APIError):
    """The client id/secret or the OAuth application were rejected."""


class TokenEndpointError(APIError):
    """``/oauth/token`` failed; ``kind`` is unreachable, timeout, server_error or bad_response."""

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message, action=None, status=status, sent=False)
        self.kind = kind


class APIResponseError(APIError):
    """The API reported an error in its documented shape; ``api_message`` is its text."""

    def __init__(self, message: str, *, api_message: str, action: str | None, status: int | None) -> None:
        super().__init__(message, action=action, status=status)
        self.api_message = api_message


class UpstreamError(APIError):
    """The service answered, but not usefully: 5xx, 429, HTML, garbage or an empty body."""


class TransportError(APIError):
    """No answer: the connection failed, timed out or was reset."""
