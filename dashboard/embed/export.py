"""`solidarity export-embeds --out DIR`: every public chart as self-contained files.

For sites that cannot iframe a live server: each chart in French and English for the
latest year, with its CSV and zip beside it, and plotly.js and the world topojson copied
next to the pages. Nothing is fetched from anywhere else, and the world map's geometry
is preloaded by a script, so the pages also work opened from disk.

Each page names its publisher and links back to the dashboard page it comes from (same
filters, a new tab): the dashboard's address is `--dashboard-url`, else
SOLIDARITY_PUBLIC_URL; the only other address a page names, and never fetched.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import flask
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from dashboard import snapshot
from dashboard.embed import render
from dashboard.embed.catalogue import CHARTS
from dashboard.embed.labels import et
from dashboard.embed.params import validate
from dashboard.embed.routes import PUBLIC_URL_KEY, static_files
from dashboard.i18n import LANGS

STATIC = ("plotly.min.js", "plotly-locale-fr.js", "embed.js", "embed.css", "world_110m.js",
          "topojson/world_110m.json")


def dashboard_root(url: str | None) -> str:
    """The dashboard's public address as pages may link to it: http(s), a host, no query;
    `url`, else SOLIDARITY_PUBLIC_URL."""
    url = (url or os.environ.get(PUBLIC_URL_KEY) or "").strip()
    if not url:
        raise ValueError(f"{PUBLIC_URL_KEY} is unset: each exported chart links back to its dashboard page; "
                         "set it to the dashboard's public address (https://host/)")
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment
            or parts.username or any(c in url for c in "\"'<>\\ \t\r\n")):
        raise ValueError(f"not a dashboard address (https://host[/path]): {url!r}")
    return url.rstrip("/")


def export_embeds(out: Path, serving: Path, dashboard_url: str | None = None) -> list[Path]:
    """Write the export into `out`; return the files written. `dashboard_url` is the public
    address of the dashboard each page links back to (default: SOLIDARITY_PUBLIC_URL)."""
    root = dashboard_root(dashboard_url)
    out.mkdir(parents=True, exist_ok=True)
    app = flask.Flask(__name__)
    app.config[snapshot.CONFIG_KEY] = str(serving)
    written: list[Path] = []

    def write(name: str, content: bytes) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)

    files = static_files()
    for name in STATIC:
        write(name, files[name][0])
    index: list[tuple[str, str]] = []
    with app.app_context():
        for slug in CHARTS:
            for lang in LANGS:
                req = validate(slug, MultiDict({"lang": lang}))
                stem = f"{slug}.{lang}"
                links = render.Links(static="", csv=f"data/{stem}.csv", zip=f"data/{stem}.zip",
                                     canonical=f"{stem}.html", dashboard=root + CHARTS[slug].dashboard_path(req))
                write(f"{stem}.html", render.page(req, links).encode("utf-8"))
                write(f"data/{stem}.csv", render.csv_bytes(req))
                write(f"data/{stem}.zip", render.zip_bytes(req, links))
                index.append((f"{stem}.html", f"{render.title(req)} ({lang})"))
        heading = et("builder_title", "fr") + " / " + et("builder_title", "en")
    items = "\n".join(f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in index)
    write("index.html", (f'<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">'
                         f'<title>{escape(heading)}</title><link rel="stylesheet" href="embed.css"></head>'
                         f'<body><main class="builder"><h1>{escape(heading)}</h1><ul>\n{items}\n</ul></main>'
                         f'</body></html>\n').encode("utf-8"))
    return written
