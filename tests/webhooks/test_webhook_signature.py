"""The Signature header: every encoding of the right digest passes, nothing else does, nothing raises."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest

from ao_mcp.webhooks.signature import sign, verify

SECRET = "test-webhook-secret"
BODY = b'{"id":"evt-1","event":"course.started"}'


def digest(body: bytes = BODY, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def test_sign_is_lowercase_hex_hmac_sha256() -> None:
    assert sign(BODY, SECRET) == digest().hex()
    assert sign(BODY, SECRET).islower() and len(sign(BODY, SECRET)) == 64


ENCODINGS = {
    "hex": lambda d: d.hex(),
    "HEX": lambda d: d.hex().upper(),
    "base64": lambda d: base64.b64encode(d).decode(),
    "base64-unpadded": lambda d: base64.b64encode(d).decode().rstrip("="),
    "base64url": lambda d: base64.urlsafe_b64encode(d).decode(),
    "base64url-unpadded": lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="),
}
WRAPPINGS = {
    "bare": "{}",
    "prefix": "sha256={}",
    "PREFIX": "SHA256={}",
    "spaces": "  {} \t",
    "prefix-spaces": " sha256= {} ",
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("wrapping", WRAPPINGS)
def test_every_encoding_of_the_digest_verifies(encoding: str, wrapping: str) -> None:
    header = WRAPPINGS[wrapping].format(ENCODINGS[encoding](digest()))
    assert verify(BODY, header, [SECRET])


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_wrong_secret_or_body_fails_in_every_encoding(encoding: str) -> None:
    assert not verify(BODY, ENCODINGS[encoding](digest(secret="other")), [SECRET])
    assert not verify(BODY + b" ", ENCODINGS[encoding](digest()), [SECRET])


def test_rotation_any_secret_matches() -> None:
    header = sign(BODY, "new-secret")
    assert verify(BODY, header, ["old-secret", "new-secret"])
    assert verify(BODY, sign(BODY, "old-secret"), ["old-secret", "new-secret"])
    assert not verify(BODY, header, ["old-secret"])


def test_no_secrets_or_empty_secrets_never_verify() -> None:
    assert not verify(BODY, sign(BODY, ""), [])
    assert not verify(BODY, sign(BODY, ""), [""])


def test_a_truncated_or_extended_signature_fails() -> None:
    good = sign(BODY, SECRET)
    for header in (good[:-1], good + "0", good[:32], good + good):
        assert not verify(BODY, header, [SECRET])


@pytest.mark.parametrize(
    "header",
    [None, "", " ", "sha256=", "sha256", "zz" * 32, "é" * 64, "\x00" * 64, "💥", "a" * 100_000, "\ud800", "=" * 44],
)
def test_garbage_headers_are_refused_without_raising(header: str | None) -> None:
    assert verify(BODY, header, [SECRET]) is False


def test_random_headers_never_raise() -> None:
    rng = random.Random(1234)
    alphabet = "0123456789abcdefABCDEF+/=-_ \tsha256é\x00\u2028"
    for _ in range(500):
        header = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 100)))
        assert verify(BODY, header, [SECRET]) is False
