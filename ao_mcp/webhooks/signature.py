"""The ``Signature`` header: HMAC-SHA256 of the raw request body under the webhook secret.

AcademyOcean documents the algorithm but not how the digest is written in the
header, so :func:`verify` accepts every common encoding of the *correct*
digest (hex in either case, base64 standard or URL-safe, padded or not, an
optional ``sha256=`` prefix, surrounding whitespace). It never decodes the
header: it computes the digest, renders its canonical encodings and compares
them with :func:`hmac.compare_digest`, so attacker-controlled input is only
ever compared, never parsed.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence

__all__ = ["MAX_SIGNATURE_LENGTH", "sign", "verify"]

#: Longer headers cannot be any encoding of a 32-byte digest; rejected before any work.
MAX_SIGNATURE_LENGTH = 256

_PREFIX = b"sha256="
_HEX_LENGTH = 64  # 32 bytes as hex
_BASE64_LENGTHS = (43, 44)  # 32 bytes as base64, unpadded and padded


def _digest(body: bytes, secret: str) -> bytes:
    return hmac.digest(secret.encode("utf-8"), body, "sha256")  # the one-shot C implementation


def sign(body: bytes, secret: str) -> str:
    """The signature AcademyOcean would send for ``body``: lowercase hex HMAC-SHA256."""
    return _digest(body, secret).hex()


def _encodings(digest: bytes) -> tuple[bytes, ...]:
    """Canonical encodings of ``digest`` that a sender may have used (hex is compared lowercased)."""
    std = base64.b64encode(digest)
    url = base64.urlsafe_b64encode(digest)
    return (std, std.rstrip(b"="), url, url.rstrip(b"="))


def _normalise(header: str) -> bytes | None:
    """The header reduced to its digest text, or ``None`` when it cannot be a valid signature."""
    if len(header) > MAX_SIGNATURE_LENGTH:
        return None
    try:
        value = header.encode("ascii").strip()
    except UnicodeEncodeError:
        return None
    if value[: len(_PREFIX)].lower() == _PREFIX:
        value = value[len(_PREFIX) :].strip()
    return value or None


def verify(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Whether ``header`` is a valid signature of ``body`` under any of ``secrets``.

    Several secrets allow rotation: the old and the new one are both accepted
    while AcademyOcean switches over. Never raises, whatever the header holds.
    """
    if not header or not secrets:
        return False
    value = _normalise(header)
    if value is None:
        return False
    # The length tells the encoding apart (64: hex; 43/44: base64); it depends on the
    # header alone, so branching on it reveals nothing about the secret.
    is_hex = len(value) == _HEX_LENGTH
    if not is_hex and len(value) not in _BASE64_LENGTHS:
        return False
    lowered = value.lower()
    matched = False
    for secret in secrets:
        if not secret:
            continue
        digest = _digest(body, secret)
        # Non-short-circuiting OR: every comparison runs, so timing does not reveal which one matched.
        if is_hex:
            matched |= hmac.compare_digest(lowered, digest.hex().encode("ascii"))
        else:
            for encoded in _encodings(digest):
                matched |= hmac.compare_digest(value, encoded)
    return matched
