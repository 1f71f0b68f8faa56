"""The README's verification snippet accepts what aistatus signs, and nothing else."""

from __future__ import annotations

import re
import time
from pathlib import Path

from monitor.notify import signing

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_verifier():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    [snippet] = [b for b in blocks if "def is_from_aistatus" in b]
    namespace: dict = {}
    exec(snippet, namespace)
    return namespace["is_from_aistatus"]


def signed(secret: str, body: bytes, at: int) -> dict[str, str]:
    return {
        signing.TIMESTAMP_HEADER: str(at),
        signing.SIGNATURE_HEADER: signing.sign(secret, at, body),
    }


def test_the_readme_snippet_accepts_a_signed_body():
    verify = readme_verifier()
    assert verify("s3cret", signed("s3cret", b'{"a":1}', int(time.time())), b'{"a":1}')


def test_the_readme_snippet_refuses_a_changed_body_another_secret_or_an_old_timestamp():
    verify = readme_verifier()
    now = int(time.time())
    assert not verify("s3cret", signed("s3cret", b'{"a":1}', now), b'{"a":2}')
    assert not verify("other", signed("s3cret", b'{"a":1}', now), b'{"a":1}')
    assert not verify("s3cret", signed("s3cret", b'{"a":1}', now - 3600), b'{"a":1}')


def test_each_subscription_has_its_own_secret_and_the_key_rotates_them_all():
    one = signing.subscription_secret(b"key", 1, "salt")
    assert one != signing.subscription_secret(b"key", 2, "salt")
    assert one != signing.subscription_secret(b"key", 1, "pepper")
    assert one != signing.subscription_secret(b"new key", 1, "salt")
