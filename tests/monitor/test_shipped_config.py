"""The example config.toml as a newcomer edits it: the README's promises about it hold."""

from pathlib import Path

from monitor.config import load_settings

REPO = Path(__file__).resolve().parents[2]


def shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_changing_the_site_port_moves_feed_and_api_links_with_it(tmp_path):
    # README: public_url, "unset, it follows [web] host and port"; the Troubleshooting row
    # for a taken port says to set [web] port and the links follow. A public_url pinned in
    # the example file would keep every feed, API link and Statuspage page url on 8080.
    settings = load_settings(shipped_with(tmp_path, "port = 8080", "port = 9090"))
    assert settings.site.public_url == "http://127.0.0.1:9090"
