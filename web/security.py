"""Headers every response carries, and the per-request nonce for our one script."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _headers(response: Response) -> Response:
    nonce = g.get("csp_nonce")
    script = f"script-src 'self' 'nonce-{nonce}'" if nonce else "script-src 'self'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def install(app: Flask) -> None:
    app.after_request(_headers)
    app.context_processor(lambda: {"csp_nonce": csp_nonce()})
