"""Programme pages' addresses (issue 16): one home for programme name <-> slug.

A programme page lives at `/programme/<slug>`. The slugs are made from the programmes the
snapshot holds (`funding.programme`), so a programme found in new data gets its page without
code; a slug is the name in ASCII, lower case, words joined by '-' ('Commerce équitable' ->
`commerce-equitable`, "Fonds d'urgence" -> `fonds-d-urgence`): stable as long as the name is.
The Festival des Solidarités is not a line of `funding` (it has no grants of its own): its page
is built from the `campaign_reach` mart under a fixed slug.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl
from dash import dcc, html

from dashboard import data, reconcile_data
from dashboard.filters import Filters, to_query
from dashboard.i18n import euros_short, t

PREFIX = "/programme/"
FESTIVAL = "festival-des-solidarites"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "programme"


def slugs() -> dict[str, str]:
    """slug -> programme name, for the snapshot served. Two names that write the same slug
    (they would differ only by accents or punctuation) get -2, -3 in name order: the address
    of a programme never depends on the order rows were read."""
    out: dict[str, str] = {}
    for name in sorted(data.filter_allowlists().programmes):
        slug = base = slugify(name)
        n = 2
        while slug in out or slug == FESTIVAL:
            slug, n = f"{base}-{n}", n + 1
        out[slug] = name
    return out


def name_of(slug: str | None) -> str | None:
    return slugs().get(slug or "")


def slug_of(name: str) -> str | None:
    return next((slug for slug, known in slugs().items() if known == name), None)


def known_slug(slug: str) -> bool:
    """A slug with a page (security.py answers 404 for any other `/programme/<slug>`)."""
    return slug == FESTIVAL or slug in slugs()


def href(slug: str, filters: Filters) -> str:
    """A programme page's address keeping the reader's filters; the programme is the page,
    not a filter, so `programme=` is never carried."""
    return PREFIX + slug + to_query(filters.with_(programme=None, departement=None))


def programme_list(filters: Filters) -> pl.DataFrame:
    """Every programme with its committed money under the filters (largest first) and its slug."""
    rows = [{"name": name, "slug": slug,
             "committed_eur": reconcile_data.funding_parts(filters.with_(programme=name))["committed_eur"]}
            for slug, name in slugs().items()]
    if not rows:
        return pl.DataFrame(schema={"name": pl.String, "slug": pl.String, "committed_eur": pl.Float64})
    # the amounts stay as the snapshot gives them (DECIMAL or DOUBLE): sorted, never added here
    return pl.DataFrame(rows).sort(["committed_eur", "name"], descending=[True, False])


def links(filters: Filters, lang: str, element_id: str = "programme-links") -> html.Ul:
    """Each programme with its committed money, linking to its page (the overview's section,
    the /programme index); the Festival last: it has no money of its own."""
    items = [html.Li([dcc.Link(row["name"], href=href(row["slug"], filters), className="programme-link"),
                      f" — {euros_short(row['committed_eur'], lang)}"])
             for row in programme_list(filters).iter_rows(named=True)]
    items.append(html.Li(dcc.Link(t("programme.festival", lang), className="programme-link",
                                  href=href(FESTIVAL, filters))))
    return html.Ul(items, id=element_id, className="programme-list")
