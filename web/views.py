"""Page views: read through `web.queries`, render a view model. No logic here."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from web import queries

pages = Blueprint("pages", __name__)


def _reader() -> queries.SiteReader:
    config = current_app.config
    return queries.SiteReader(
        config["AISTATUS_SETTINGS"], config["AISTATUS_STORE"], config["AISTATUS_CLOCK"]
    )


@pages.get("/")
def overview() -> str:
    return render_template("index.html", page=_reader().overview())
