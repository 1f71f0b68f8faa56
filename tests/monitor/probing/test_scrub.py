import json

import pytest

from monitor.probing.scrub import MAX_BYTES, REDACTED, excerpt

SECRET = "my-very-own-proxy-token-1234"


def test_a_configured_secret_echoed_in_an_error_body_is_redacted():
    body = json.dumps({"error": {"message": f"invalid key {SECRET} for this org"}}).encode()
    out = excerpt(body, secrets=[SECRET])
    assert SECRET not in out
    assert REDACTED in out and "invalid key" in out


# Fake keys, assembled here so repository secret scanners do not flag the test itself.
@pytest.mark.parametrize(
    "key",
    [
        "sk-ant-" + "api03-AbCdEf0123456789_xyz-AbCdEf0123456789",
        "sk-proj-AbCdEf0123456789AbCdEf0123456789",
        "sk-AbCdEf0123456789AbCdEf",
        "AI" + "zaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
        "ya29.a0AfH6SMBx0123456789abcdefghij",
    ],
)
def test_anything_that_looks_like_a_provider_key_is_redacted_without_being_told(key):
    out = excerpt(f"Incorrect API key provided: {key}. Find your key at ...")
    assert key not in out and key[:12] not in out
    assert out.startswith("Incorrect API key provided: [redacted]")


def test_bearer_tokens_are_redacted():
    out = excerpt("upstream said: Authorization: Bearer abc.def-ghi_jkl~mno rejected")
    assert "abc.def" not in out and "Bearer [redacted]" in out


def test_an_excerpt_is_at_most_one_kilobyte_and_valid_utf8():
    out = excerpt(("é" * 3000).encode())
    assert len(out.encode("utf-8")) <= MAX_BYTES
    assert out.endswith("…")


def test_a_key_straddling_the_one_kilobyte_cut_is_not_half_kept():
    key = "sk-ant-api03-" + "Z" * 60
    body = "x" * (MAX_BYTES - 20) + key
    out = excerpt(body)
    assert "sk-ant" not in out and "ZZZZ" not in out


def test_control_characters_are_removed_and_newlines_become_spaces():
    out = excerpt("line one\nline\x1b[31m two\x00\r\n\u202eevil".encode())
    assert out == "line one line[31m two  evil"


def test_invalid_utf8_does_not_raise():
    assert excerpt(b"\xff\xfe bad bytes") == "\ufffd\ufffd bad bytes"


def test_an_empty_secret_does_not_redact_everything():
    assert excerpt("plain text", secrets=["", "absent"]) == "plain text"
