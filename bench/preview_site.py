"""Render every public page from sample view models to /tmp/preview/*.html for a visual check.

Run from the repository root (so `tests` imports):
    .venv/bin/python -m bench.preview_site [out_dir]
then screenshot, e.g.
    chromium --headless --no-sandbox --disable-gpu --window-size=1280,900 \
        --screenshot=/tmp/preview/index.png file:///tmp/preview/index.html
The stylesheet is copied beside the pages so file:// URLs find it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from flask import Flask, render_template

import templates
from tests.web import factories
from web.queries.viewmodels import ErrorPage, range_tabs
from web.render.filters import register_filters

TEMPLATES = Path(templates.__file__).parent


def preview_app() -> Flask:
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
        static_url_path="/static",
    )
    app.config["SERVER_NAME"] = "preview.local"
    register_filters(app)
    return app


PAGES = {
    "index": ("index.html", lambda: factories.overview()),
    "model": ("model.html", lambda: factories.model_page()),
    "model-7d": (
        "model.html",
        lambda: factories.model_page(
            tabs=range_tabs("7d"),
            ttft=factories.latency_series(hours=168, step_min=60, spike_at=120, gap=range(0)),
            total=factories.latency_series("Total latency", 2100.0, 8, 168, 60, None, range(0)),
            failures=factories.failure_series(quiet=True),
        ),
    ),
    "incidents": ("incidents.html", lambda: factories.incidents_page()),
    "incident": ("incident.html", lambda: factories.incident_page()),
    "404": ("404.html", lambda: ErrorPage(404, "No such model", "Nothing is monitored as x/y.")),
    "500": ("500.html", lambda: None),
}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/preview")
    (out / "static").mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATES / "static" / "site.css", out / "static" / "site.css")
    app = preview_app()
    site = {
        "title": "aistatus",
        "description": "Independent, per-model health of AI model APIs",
        "public_url": "http://127.0.0.1:8080",
    }
    with app.app_context():
        for name, (template, build) in PAGES.items():
            page = build()
            context = {"site": site}
            if page is not None:
                context["page"] = page
            html = render_template(template, **context)
            html = html.replace('href="http://preview.local/static/', 'href="static/')
            html = html.replace('href="/static/', 'href="static/')
            (out / f"{name}.html").write_text(html, encoding="utf-8")
            print(f"{out / name}.html  {len(html):,} bytes")


if __name__ == "__main__":
    main()
