"""The embed builder page: pick a chart and its filters, preview it, copy the snippet."""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import escape

from werkzeug.datastructures import MultiDict

from dashboard import snapshot
from dashboard.embed.catalogue import CHARTS, EmbedRequest
from dashboard.embed.labels import et
from dashboard.embed.params import ISO3, allowlists, canonical, validate
from dashboard.embed.queries import country_name
from dashboard.embed.render import ENV, HEIGHT_MESSAGE, title
from dashboard.i18n import has_label, t

DEFAULT_CHART = "world-map"


def parent_snippet(embed_url: str, origin: str, frame_title: str) -> str:
    """What a partner pastes: the iframe and the few lines that let it follow the chart's height."""
    return f"""<iframe src="{embed_url}" title="{frame_title}" loading="lazy"
        style="width:100%;height:520px;border:0" referrerpolicy="strict-origin-when-cross-origin"></iframe>
<script>
window.addEventListener("message", function (e) {{
  if (e.origin !== "{origin}" || !e.data || e.data.type !== "{HEIGHT_MESSAGE}") return;
  document.querySelectorAll("iframe").forEach(function (f) {{
    if (f.contentWindow === e.source) f.style.height = e.data.height + "px";
  }});
}});
</script>"""


def request_of(args: MultiDict) -> EmbedRequest:
    """The builder's choices: the chart, then only the parameters that chart takes."""
    chart = args.get("chart", DEFAULT_CHART)
    spec = CHARTS.get(chart)
    kept = MultiDict([(k, v) for k, v in canonical(args).items(multi=True)
                      if spec and (k == "lang" or k in spec.params) and v != ""])
    return validate(chart, kept)


def page(req: EmbedRequest, origin: str, static: str, version: str) -> str:
    lists = allowlists()
    spec = CHARTS[req.chart]
    names = query_names(sorted(c for c in lists.countries if ISO3.fullmatch(c)), req.lang)  # countries, not regions
    embed_path = f"/embed/{req.chart}?{urlencode(req.query())}"
    chart_title = title(req)
    context = {
        "lang": req.lang,
        "req": req,
        "et": lambda key: et(key, req.lang),
        "t_year": t("year", req.lang),
        "euros_base": lists.price_base,
        "t_euros": t("euros.label", req.lang),
        "t_current": t("euros.current", req.lang),
        "t_constant": t("euros.constant", req.lang, year=lists.price_base),
        "static": static,
        "version": version,
        "action": "/embed/",
        "charts": [{"slug": slug, "title": et(slug, req.lang)} for slug in CHARTS],
        "accepted": spec.params,
        "years": lists.years_of(spec.years_table),
        "countries": names,
        "indicators": [(code, t(code, req.lang) if has_label(code) else code) for code in lists.indicators],
        "embed_path": embed_path,
        "chart_title": chart_title,
        "snippet": parent_snippet(origin + embed_path, origin, str(escape(chart_title))),
        "is_sample": snapshot.snapshot_info().is_sample,
        "sample_banner": t("sample_banner", req.lang),
    }
    return ENV.get_template("builder.html").render(context)


def query_names(codes: list[str], lang: str) -> list[tuple[str, str]]:
    return sorted(((code, country_name(code, lang)) for code in codes), key=lambda pair: pair[1])
