"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, one secret per subscription.

    Aistatus-Timestamp: 1764871200
    Aistatus-Signature: v1=<hex of HMAC-SHA256(secret, b"1764871200." + body)>

A secret is never stored: it is HMAC-SHA256 of the operator's key (an environment
variable named in config) and the subscription's id and salt. The receiver learns it
once, in the verification POST; losing the database leaks no secret, and rotating
the operator's key rotates every secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TIMESTAMP_HEADER = "Aistatus-Timestamp"
SIGNATURE_HEADER = "Aistatus-Signature"
EVENT_HEADER = "Aistatus-Event-Id"
VERSION = "v1"


def new_salt() -> str:
    return secrets.token_hex(16)


def subscription_secret(operator_key: bytes, subscription_id: int, salt: str) -> str:
    return hmac.new(
        operator_key, f"webhook:{subscription_id}:{salt}".encode(), hashlib.sha256
    ).hexdigest()


def unsubscribe_token(operator_key: bytes, subscription_id: int, salt: str) -> str:
    """The token of a one-click unsubscribe link: only the subscriber has it."""
    return hmac.new(
        operator_key, f"unsubscribe:{subscription_id}:{salt}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def confirm_token(operator_key: bytes, subscription_id: int, salt: str, expires: int) -> str:
    """The token of a double opt-in link, good until `expires` (Unix seconds)."""
    return hmac.new(
        operator_key, f"confirm:{subscription_id}:{salt}:{expires}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def same(token: str, expected: str) -> bool:
    return hmac.compare_digest(token.encode(), expected.encode())


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver does (the README has the same in a few lines)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
