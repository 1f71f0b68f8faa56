"""Error excerpts that are safe to store and show.

A provider's error body is evidence worth keeping, but it is the provider's
text: it may echo the key we sent, hold terminal escapes, or be a megabyte of
HTML. `excerpt` keeps at most 1 KB of it, printable, with secrets redacted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_BYTES = 1024
REDACTED = "[redacted]"
# Redaction runs on this much text before the cut to 1 KB, so a key that
# straddles the cut is redacted whole rather than half-kept.
_SCAN_CHARS = 4 * MAX_BYTES
_ELLIPSIS = "…"

_KEY_PATTERNS = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"  # Anthropic
    r"|sk-[A-Za-z0-9_\-]{16,}"  # OpenAI (sk-proj-..., sk-svcacct-...)
    r"|AIza[0-9A-Za-z_\-]{20,}"  # Google API keys
    r"|ya29\.[0-9A-Za-z_\-.]{16,}"  # Google OAuth access tokens
    r"|(?<=Bearer )[A-Za-z0-9._~+/=\-]{8,}",  # any bearer token
    re.IGNORECASE,
)
_WHITESPACE = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


def excerpt(body: bytes | str, secrets: Iterable[str] = ()) -> str:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = text[:_SCAN_CHARS]
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _KEY_PATTERNS.sub(REDACTED, text)
    return _truncate(_printable(text))


def _printable(text: str) -> str:
    text = text.translate(_WHITESPACE)
    if text.isprintable():
        return text
    # Cc: terminal escapes and NULs; Cf: bidi overrides that make a log lie.
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))


def _truncate(text: str) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_BYTES:
        return text
    room = MAX_BYTES - len(_ELLIPSIS.encode("utf-8"))
    # Cutting bytes may split a character; "ignore" drops the broken tail only.
    return encoded[:room].decode("utf-8", errors="ignore") + _ELLIPSIS
