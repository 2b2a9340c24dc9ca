"""The council brief (issue 16): one or two A4 pages of PDF at `/brief`, made on the server.

What an official takes to the council: the year's headline indicators against their target
and last year, the reconciliation line of the year's money, one small bar chart per programme
(money committed, last five years), the data's date, source and sample label, and the
dashboard's address. Same URL filters as the pages (`?years=…&programme=…&lang=en`), French
by default.

Typeset with Typst (the `typst` wheel: a compiled library with its fonts inside), in the
process, with no browser, no system font and no network: the charts are Typst rectangles and
text (vector drawing in the PDF, no image). `brief_source` is a pure function from the figures
to Typst source; every figure comes from where the pages take it (the `kpis` mart through
`dashboard.kpi`, `reconcile_data.funding_parts` through `dashboard.reconcile`, `data.funding_by_year`)
and is written with the pages' French formatting (`dashboard.i18n`).

Data strings (programme names, filter names, the address) come from files: they are written
into the source only as Typst string literals (`typst_string`), which Typst sets as text,
never as markup or code — a programme called `#read("/etc/passwd")` or `*[$x$]*` prints as
those characters. The compiler's root is an empty folder besides, so no file can be read.

Built once per snapshot, filters and public address (`dashboard.built_once`, as downloads).
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

import flask

from dashboard import constant_euros, data, reconcile, reconcile_data, snapshot
from dashboard.built_once import built_once, default_root
from dashboard.filters import Filters, parse, to_query
from dashboard.i18n import day, euros_short, lang_of, percent, t
from dashboard.kpi import HEADLINE, Kpi, change, formatted, target_share

CHART_YEARS = 5  # each programme's chart: the brief's year and the four before it
ACCENT = "#1f5f8b"  # the dashboard's bar colour, muted for print


# ---- Typst text: data strings as string literals, never markup

def typst_string(text: object) -> str:
    """`text` as a Typst string literal: in markup or code, Typst sets it as the characters
    themselves. Only `\\` and `"` end or bend a literal, so only they are escaped. A name is
    written on one line: a line break or tab in it is a space, another control character
    (no glyph: it would print as nothing or a box) is left out."""
    out = []
    for char in str(text):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            # no-break spaces (the French thousands sign) are kept: they are Zs, not controls
            out.append(" " if char.isspace() else "")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def markup(text: object) -> str:
    """A data string placed in markup: the literal embedded with `#`, ended by `;` so the
    characters after it (a '.', a '(') are never read as a method call on it."""
    return f"#{typst_string(text)};"


# ---- the figures of one brief (read from the snapshot), then the source (pure)

@dataclass(frozen=True)
class Chart:
    programme: str
    years: tuple[int, ...]
    values: tuple[object, ...]  # exact amounts as the snapshot holds them (Decimal or float); None = no money


@dataclass(frozen=True)
class Figures:
    year: int | None
    kpis: tuple[Kpi, ...]
    reconciliation: str
    payments: str
    charts: tuple[Chart, ...]
    filters_said: tuple[str, ...]
    basis: str | None  # 'euros constants de 2025…' when the page shows constant euros
    source_line: str
    is_sample: bool
    url: str
    built_at: str


def _year(filters: Filters, available: list[int]) -> int | None:
    # the overview's rule: a range means its last year; none means the latest
    if filters.year_to is not None and filters.year_to in available:
        return filters.year_to
    return available[-1] if available else None


def committed_sentence(filters: Filters, lang: str) -> str:
    """The overview's reconciliation line, as text: the very sentence the page shows."""
    return reconcile.committed_line("brief-reconciliation", filters, lang).children


def payments_sentence(filters: Filters, lang: str) -> str:
    """What "versés" counts and which committed money has no payment record (the page's note)."""
    return reconcile.payments_note("brief-payments", filters, lang).children


def figures(filters: Filters, url: str) -> Figures:
    """Everything the brief says, read once from the snapshot for these filters."""
    lang = filters.lang
    available = data.years()
    year = _year(filters, available)
    # the headline indicators are the programme's whole year, as on the overview (the kpis mart
    # has no programme or country); the reconciliation and the charts follow every filter
    year_only = Filters(year_from=year, year_to=year, lang=lang, euros=filters.euros)
    selection = filters.with_(year_from=year, year_to=year)
    kpis: list[Kpi] = []
    if year is not None:
        rows = {r["indicator"]: r for r in data.kpis(year, filters=year_only).iter_rows(named=True)}
        parts = reconcile_data.funding_parts(year_only)
        tracked = not reconcile.not_tracked(parts["committed_eur"], parts["tracked_eur"], parts["disbursed_eur"])
        for indicator in HEADLINE:
            row = rows.get(indicator)
            if row is not None:
                kpis.append(Kpi(indicator, year, row["value"], row["previous_value"], row["target"], row["unit"],
                                tracked=indicator != "disbursed_eur" or tracked))
    charts: list[Chart] = []
    if year is not None:
        span = tuple(y for y in range(year - CHART_YEARS + 1, year + 1) if y >= (available[0] if available else y))
        window = filters.with_(year_from=span[0], year_to=span[-1])
        allowed = data.filter_allowlists()
        programmes = [filters.programme] if filters.programme else sorted(allowed.programmes)
        for programme in programmes:
            frame = data.funding_by_year(window.with_(programme=programme))
            by_year = dict(zip(frame["year"].to_list(), frame["committed_eur"].to_list()))
            if any(by_year.get(y) for y in span):
                charts.append(Chart(programme, span, tuple(by_year.get(y) for y in span)))
        # largest programme of the period first: the order an official reads them in
        charts.sort(key=lambda c: (-float(sum(v or 0 for v in c.values)), c.programme))
    said = []
    labels = data.filter_labels(filters)
    if filters.programme:
        said.append(f"{t('programme', lang)} : {filters.programme}" if lang == "fr"
                    else f"{t('programme', lang)}: {filters.programme}")
    for name in ("country", "sector", "departement"):
        if name in labels:
            said.append(labels[name])
    info = snapshot.snapshot_info()
    basis = t("euros.basis", lang, year=constant_euros.price_base()) if filters.constant_euros else None
    source = t("source_line", lang, sources=t("sources", lang), built_at=day(info.built_at, lang),
               version=info.version)
    return Figures(year, tuple(kpis), committed_sentence(selection, lang) if year is not None else "",
                   payments_sentence(selection, lang) if year is not None else "", tuple(charts),
                   tuple(said), basis, source, info.is_sample, url, info.built_at)


def _kpi_cells(kpi: Kpi, lang: str) -> list[str]:
    """One row of the table: indicator, this year, target, last year, change — pages' words."""
    previous = Kpi(kpi.indicator, kpi.year - 1, kpi.previous, None, None, kpi.unit, kpi.tracked)
    target = Kpi(kpi.indicator, kpi.year, kpi.target, None, None, kpi.unit) if kpi.target is not None else None
    share = target_share(kpi) if kpi.tracked else None
    delta = change(kpi) if kpi.tracked else None
    return [
        t(kpi.indicator, lang),
        formatted(kpi, lang),
        (formatted(target, lang) + (f" ({percent(share, lang)})" if share is not None else "")) if target else "–",
        formatted(previous, lang) if kpi.previous is not None else "–",
        percent(delta, lang, signed=True) if delta is not None else "–",
    ]


def _chart(chart: Chart, lang: str) -> str:
    """A small bar chart as Typst shapes: one rectangle per year, its amount above, the year below."""
    top = max((float(v) for v in chart.values if v), default=0.0) or 1.0
    bars = []
    for year, value in zip(chart.years, chart.values):
        amount = float(value or 0)  # geometry only: the label is the exact amount, formatted
        height = max(amount, 0) / top * 1.9
        label = euros_short(value, lang) if value is not None else "–"
        bars.append(f"bar({height:.4f}, {typst_string(label)}, {typst_string(year)})")
    return (f"chart({typst_string(chart.programme)}, ({', '.join(bars)},))")


def brief_source(fig: Figures, lang: str) -> str:
    """The Typst source of the brief: a pure function of the figures."""
    lang = lang_of(lang)
    title = t("brief.title", lang, year=fig.year) if fig.year else t("brief.title_no_year", lang)
    lines = [
        '#set document(title: ' + typst_string(title) + ')',
        '#set page(paper: "a4", margin: (x: 1.7cm, top: 1.5cm, bottom: 1.8cm), footer: context {',
        '  set text(size: 7.5pt, fill: luma(90))',
        f'  {typst_string(t("brief.footer", lang, url=fig.url))}',
        '  h(1fr)',
        '  counter(page).display("1 / 1", both: true)',
        '})',
        f'#set text(font: "Libertinus Serif", size: 10pt, lang: "{lang}")',
        '#set par(justify: false, leading: 0.55em)',
        '#let bar(h, label, year) = stack(dir: ttb, spacing: 2pt,',
        '  align(center, text(size: 6.5pt, label)),',
        f'  rect(width: 0.95cm, height: h * 1cm, fill: rgb("{ACCENT}"), stroke: none),',
        '  align(center, text(size: 7pt, year)))',
        '#let chart(name, bars) = block(breakable: false, width: 100%, inset: (bottom: 4pt), {',
        '  text(weight: "bold", size: 8.5pt, name)',
        '  v(2pt)',
        '  box(height: 2.8cm, align(bottom, stack(dir: ltr, spacing: 4pt, ..bars)))',
        '  line(length: 100%, stroke: 0.4pt + luma(150))',
        '})',
        f'#text(size: 16pt, weight: "bold", {typst_string(title)})',
        '',
        f'#text(size: 9pt, fill: luma(70), {typst_string(t("brief.subtitle", lang))})',
        '',
    ]
    if fig.is_sample:
        lines += [f'#block(width: 100%, inset: 6pt, stroke: 1.5pt + rgb("#b35900"), '
                  f'text(weight: "bold", {typst_string(t("sample_banner", lang))}))', '']
    if fig.filters_said:
        lines += [markup(t("brief.filters", lang, filters=" ; ".join(fig.filters_said) if lang == "fr"
                           else "; ".join(fig.filters_said))), '']
    if fig.basis:
        lines += [markup(fig.basis), '']
    if fig.kpis:
        head = [t("indicator", lang), str(fig.year), t("target", lang), str(fig.year - 1), t("brief.change", lang)]
        cells = [typst_string(c) for c in head] + [typst_string(c) for k in fig.kpis for c in _kpi_cells(k, lang)]
        lines += [
            f'== {markup(t("brief.headline", lang))}',
            '#table(columns: (2.2fr, 1fr, 1.5fr, 1fr, 1fr), align: (left, right, right, right, right),',
            '  stroke: (x, y) => if y == 0 { (bottom: 0.6pt) } else { (bottom: 0.3pt + luma(200)) },',
            '  inset: (x: 4pt, y: 3.5pt),',
            '  table.header(' + ", ".join(f"text(weight: \"bold\", {c})" for c in cells[:5]) + '),',
            '  ' + ", ".join(cells[5:]) + ')',
            '',
            f'#text(size: 8.5pt, fill: luma(70), {typst_string(t("brief.kpi_scope", lang))})',
            '',
        ]
    else:
        lines += [markup(t("no_data", lang)), '']
    if fig.reconciliation:
        lines += [f'== {markup(t("brief.reconciliation", lang))}', markup(fig.reconciliation), '']
    if fig.payments:
        lines += [f'#text(size: 8.5pt, {typst_string(fig.payments)})', '']
    if fig.charts:
        lines += [f'== {markup(t("brief.charts", lang, first=fig.charts[0].years[0], last=fig.charts[0].years[-1]))}',
                  '#grid(columns: (1fr, 1fr, 1fr), column-gutter: 14pt, row-gutter: 8pt,',
                  '  ' + ", ".join(_chart(c, lang) for c in fig.charts) + ')', '']
    lines += [f'#text(size: 8.5pt, {typst_string(fig.source_line)})', '']
    return "\n".join(lines) + "\n"


def render(source: str, built_at: str | None = None) -> bytes:
    """The PDF of a Typst source: embedded fonts only, an empty root (no file can be read),
    the snapshot's date as the PDF's (the same snapshot gives the same bytes)."""
    import typst

    stamp = None
    if built_at:
        stamp = datetime.fromisoformat(built_at)
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
        stamp = stamp.astimezone(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="brief-root-") as root:
        return typst.compile(source.encode("utf-8"), root=root, font_paths=[], ignore_system_fonts=True,
                             format="pdf", timestamp=stamp)


def file_name(year: int | None, lang: str) -> str:
    return f"{t('brief.file', lang)}-{year}.pdf" if year else f"{t('brief.file', lang)}.pdf"


def public_root() -> str:
    # the address the rest of the app names (SOLIDARITY_PUBLIC_URL), else the request's own
    from dashboard.embed.routes import PUBLIC_URL_KEY

    return flask.current_app.config.get(PUBLIC_URL_KEY) or flask.request.url_root


def register(server: flask.Flask) -> None:
    @server.route("/brief")
    @server.route("/brief.pdf")
    def brief():
        filters = parse(flask.request.args.to_dict(), data.filter_allowlists())
        root = public_root()
        url = root.rstrip("/") + "/" + to_query(filters)
        info = snapshot.snapshot_info()
        stamp = hashlib.sha256(repr(snapshot.snapshot_stamp()).encode()).hexdigest()[:12]

        def build() -> bytes:
            fig = figures(filters, url)
            return render(brief_source(fig, filters.lang), fig.built_at)

        # the key: validated filters (language included) and the address printed in the footer
        built = built_once(default_root(snapshot.serving_path()), f"{info.version}-{stamp}",
                           f"brief.pdf{to_query(filters)}|{root}", build)
        body = built if isinstance(built, bytes) else built.read_bytes()
        year = _year(filters, data.years())
        response = flask.Response(body, content_type="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="{file_name(year, filters.lang)}"'
        response.headers["Cache-Control"] = "no-cache"  # a new snapshot is a new brief
        return response
