"""Figure builders and their descriptions, the graphs' toolbar and ticks, without a browser.

Every total a figure draws is checked against the input frame summed another way
(plain Python over its rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dashboard import describe, figures
from dashboard.charts.at_home import campaign_reach_bars, departements_map
from dashboard.charts.flows import FLOW_LOCATIONS, SANKEY_NAMED, flows_sankey
from dashboard.charts.money import committed_against_target, funding_by_year
from dashboard.charts.outcomes import outcome_totals, outcomes_achievement
from dashboard.charts.sectors import sectors_treemap
from dashboard.charts.world import world_map
from dashboard.i18n import euros_short, number


GEOJSON = Path(__file__).resolve().parents[1] / "dashboard" / "assets" / "geo" / "departements-ara.geojson"


def _sum(frame: pl.DataFrame, column: str) -> float:
    return sum(v for v in frame[column].to_list() if v is not None)


@pytest.fixture
def by_year() -> pl.DataFrame:
    return pl.DataFrame({"year": [2024, 2023, 2024, 2025], "committed_eur": [100.0, 50.0, 25.0, 400.0],
                         "disbursed_eur": [10.0, 20.0, 5.0, 40.0]})


def test_funding_by_year_draws_each_year_total(by_year):
    fig = funding_by_year(by_year, "fr")
    committed, disbursed = fig.data
    assert list(committed.x) == [2023, 2024, 2025]
    assert list(committed.y) == [50.0, 125.0, 400.0]
    assert sum(disbursed.y) == _sum(by_year, "disbursed_eur")
    assert committed.customdata[1] == "125 €"
    assert fig.layout.separators == ", "
    text = describe.funding_by_year(by_year, "fr")
    assert text.startswith("De 2023 à 2025")
    assert "+220\u202f%" in text  # 400 / 125 - 1
    assert "In 2025: €400 committed" in describe.funding_by_year(by_year, "en")


def test_world_map_keeps_countries_and_their_totals():
    frame = pl.DataFrame({
        "country_code": ["MLI", "SEN", "589", "unallocated", "MLI"],
        "name_fr": ["Mali", "Sénégal", "589", "unallocated", "Mali"],
        "name_en": ["Mali", "Senegal", "589", "unallocated", "Mali"],
        "committed_eur": [1_000_000.0, 500_000.0, 99.0, 77.0, 250_000.0],
        "disbursed_eur": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    fig = world_map(frame, "fr")
    (trace,) = fig.data
    assert dict(zip(trace.locations, trace.z)) == {"MLI": 1_250_000.0, "SEN": 500_000.0}
    assert list(trace.customdata) == ["country=MLI", "country=SEN"]
    assert trace.colorscale is not None and trace.locationmode == "ISO-3"
    disbursed = world_map(frame, "en", measure="disbursed_eur").data[0]
    assert sum(disbursed.z) == 1.0 + 2.0 + 5.0
    bars = world_map(frame, "fr", topojson_ok=False).data[0]
    assert bars.type == "bar" and sum(bars.x) == 1_750_000.0
    text = describe.world_map(frame, "fr")
    assert text.startswith(f"{euros_short(1_750_000, 'fr')} engagés dans 2 pays")
    assert "Mali (1,2 M€, 71\u202f%)" in text


def _flows(n_countries: int) -> pl.DataFrame:
    rows = []
    for i in range(n_countries):
        rows.append({"programme": "P1" if i % 2 else "P2", "beneficiary_type": "ong" if i % 3 else "collectivite",
                     "category_code": "122" if i % 2 else "unallocated", "category_name": "Santé de base",
                     "location_code": f"X{i:02d}", "location_name": f"Pays {i}", "committed_eur": 1000.0 * (i + 1)})
    return pl.DataFrame(rows)


def test_flows_sankey_conserves_money_at_every_stage_and_groups_small_countries():
    frame = _flows(20)
    total = _sum(frame, "committed_eur")
    (trace,) = flows_sankey(frame, "fr").data
    labels = list(trace.node.label)
    sources, targets, values = list(trace.link.source), list(trace.link.target), list(trace.link.value)
    stage = {}  # node index -> stage, from the flows themselves
    for s in sources:
        stage.setdefault(s, 0)
    for s, t_ in zip(sources, targets):
        stage[t_] = stage[s] + 1
    for level in range(3):
        assert sum(v for s, v in zip(sources, values) if stage[s] == level) == pytest.approx(total)
    # the largest destinations by name, then one "other" node for the 12 smallest, drawn last
    last = [i for i in range(len(labels)) if stage.get(i) == 3]
    assert len(last) == FLOW_LOCATIONS + 1
    assert labels[last[-1]] == "Autres pays et régions (12)" and trace.node.customdata[last[-1]] == ""
    assert [labels[i] for i in last[:3]] == ["Pays 19", "Pays 18", "Pays 17"]
    assert "Catégorie CAD non connue" in labels and "Collectivités" in labels
    filters = list(trace.node.customdata)
    assert "programme=P1" in filters and "country=X19" in filters and "sector=122" in filters
    assert "country=X00" not in filters  # grouped: its row in the page's table is its link
    text = describe.flows_sankey(frame, "fr")
    assert text.startswith(euros_short(total, "fr")) and "Pays 19 (20 k€" in text


def _stage_of(trace) -> dict[int, int]:
    stage = {}
    for s in trace.link.source:
        stage.setdefault(s, 0)
    for s, t_ in zip(trace.link.source, trace.link.target):
        stage[t_] = stage[s] + 1
    return stage


def test_sankey_draws_other_and_unknown_nodes_last_in_every_stage():
    # 30 places where the long tail is bigger than any country, as in the sample
    kinds = ("ong", "collectivite", "autre", "cooperative", "commerce_equitable", "non_renseigne",
             "etablissement_scolaire", "personne_physique")
    rows = [{"programme": f"P{i % 9}", "beneficiary_type": kinds[i % 8],
             "category_code": "unallocated" if i % 5 == 0 else str(110 + i % 12), "category_name": f"Cat {i % 12}",
             "location_code": "unallocated" if i % 7 == 0 else f"X{i:02d}", "location_name": f"Pays {i}",
             "committed_eur": 1000.0 + i} for i in range(60)]
    frame = pl.DataFrame(rows)
    (trace,) = flows_sankey(frame, "fr").data
    stage = _stage_of(trace)
    labels, ys = list(trace.node.label), list(trace.node.y)
    for level in range(4):
        nodes = sorted((ys[i], labels[i]) for i in stage if stage[i] == level)
        assert not nodes[0][1].startswith("Autres") and nodes[-1][1].startswith("Autres"), nodes
        assert len(nodes) <= SANKEY_NAMED[level] + 3  # named + unknown + other
        # placed top to bottom without overlapping (centres increase)
        assert [y for y, _ in nodes] == sorted(y for y, _ in nodes) and 0 < nodes[0][0] and nodes[-1][0] < 1
    unknown = [labels[i] for i in stage if stage[i] == 3 and labels[i] == "Pays non connu"]
    assert unknown and all(trace.node.color[labels.index(name)] == "#999999" for name in unknown)
    assert len(labels) <= sum(SANKEY_NAMED) + 8


def test_sankey_sentence_when_a_filter_empties_a_stage():
    frame = pl.DataFrame({"programme": ["Commerce équitable"] * 2,
                          "beneficiary_type": ["commerce_equitable", "cooperative"],
                          "category_code": ["unallocated"] * 2, "category_name": [None, None],
                          "location_code": ["unallocated"] * 2, "location_name": [None, None],
                          "committed_eur": [750.0, 250.0]})
    text = describe.flows_sankey(frame, "fr")
    k, part = euros_short(1000, "fr"), euros_short(750, "fr")
    assert text == (f"{k} engagés, du programme au pays. Programme\u00a0: Commerce équitable ({k}, 100\u202f%) ; "
                    f"premier type de structure\u00a0: Commerce équitable ({part}, 75\u202f%) ; "
                    "aucune catégorie CAD connue ; aucun pays connu.")
    assert describe.flows_sankey(frame, "en").endswith("no known DAC category; no known country.")
    (trace,) = flows_sankey(frame, "fr").data
    assert list(trace.node.customdata).count("") == 4  # the unknown nodes and the organisation types filter nothing


def test_outcome_totals_sum_the_values_reached_against_their_targets():
    frame = pl.DataFrame({"indicator_title": ["Enfants scolarisés", "Points d'eau"], "ascending": [True, False],
                          "measurements": [3, 2], "actual_total": [900.0, 12.0], "with_both": [2, 2],
                          "actual_with_target": [600.0, 12.0], "target_with_actual": [800.0, 10.0],
                          "target_share": [0.75, None], "without_actual": [1, 0], "without_target": [0, 0]})
    fig = outcome_totals(frame, "fr")
    (bar,) = fig.data
    assert list(bar.text) == ["Points d'eau", "Enfants scolarisés"]  # largest total at the top
    assert list(bar.x) == [0, 0.75]
    assert [a.text for a in fig.layout.annotations] == ["Points d'eau\u00a0: <b>12</b>",
                                                        "Enfants scolarisés\u00a0: <b>900 (75\u202f%)</b>"]
    # a name is data: escaped where plotly would read it as markup (layout text is not escaped later)
    odd = frame.with_columns(pl.lit("<a href='x'>Clic</a>").alias("indicator_title")).head(1)
    assert "<a " not in outcome_totals(odd, "fr").layout.annotations[0].text
    assert describe.outcome_totals(frame, "fr") == ("Enfants scolarisés\u00a0: 900 (75\u202f% de la cible) ; "
                                                    "Points d'eau\u00a0: 12.")


def test_sectors_treemap_categories_hold_their_sectors():
    frame = pl.DataFrame({
        "category_code": ["122", "122", "311", "unallocated"],
        "category_name": ["Santé de base", "Santé de base", "AGRICULTURE", "Non ventilé"],
        "sector_code": ["12220", "12240", "31120", "unallocated"],
        "sector_name": ["Soins", "Nutrition", "Développement agricole", "Non ventilé"],
        "committed_eur": [300.0, 200.0, 1000.0, 50.0],
    })
    (trace,) = sectors_treemap(frame, "fr").data
    value = dict(zip(trace.ids, trace.values))
    roots = [i for i, p in zip(trace.ids, trace.parents) if p == ""]
    assert sum(value[r] for r in roots) == _sum(frame, "committed_eur")
    for root in roots:
        children = [i for i, p in zip(trace.ids, trace.parents) if p == root]
        assert sum(value[c] for c in children) == value[root]
    labels = dict(zip(trace.ids, trace.labels))
    assert labels["c311"] == "Agriculture" and labels["cunallocated"] == "Catégorie CAD non connue"
    assert "sector=12240" in trace.customdata
    assert "dans 2 catégories et 3 secteurs" in describe.sectors_treemap(frame, "fr")


def test_departements_map_draws_known_departements_only():
    geo = json.loads(GEOJSON.read_text(encoding="utf-8"))
    frame = pl.DataFrame({"departement_code": ["69", "38", "inconnu", "69"], "name": ["Rhône", "Isère", "?", "Rhône"],
                          "value": [300.0, 200.0, 9.0, 28.0]})
    (trace,) = departements_map(frame, geo, "fr", "Emplois").data
    assert dict(zip(trace.locations, trace.z)) == {"38": 200.0, "69": 328.0}
    assert trace.featureidkey == "properties.code"
    assert "departement=69" in trace.customdata
    assert describe.departements_map(frame.filter(pl.col("departement_code") != "inconnu"), "fr", "Emplois") \
        .startswith("528 (emplois) dans 2 départements. En tête\u00a0: Rhône (328, 62\u202f%)")


def test_campaign_reach_bars_by_year_and_by_departement():
    frame = pl.DataFrame({"year": [2024, 2024, 2025], "events": [3, 4, 10], "participants": [100, 50, 1000],
                          "young_participants": [10, 20, 600]})
    fig = campaign_reach_bars(frame, "fr")
    people, young, events = fig.data
    assert list(people.x) == ["2024", "2025"] and list(people.y) == [150.0, 1000.0]
    assert sum(young.y) == 630 and list(events.y) == [7.0, 10.0]
    text = describe.campaign_reach_bars(frame, "fr")
    assert text.startswith(f"17 animations, {number(1150, 'fr')} participants dont 630 jeunes")
    by_dep = frame.rename({"year": "departement"}).with_columns(pl.col("departement").cast(pl.String))
    assert list(campaign_reach_bars(by_dep, "en").data[0].x) == ["2024", "2025"]


def test_outcomes_achievement_counts_indicators_by_band():
    frame = pl.DataFrame({"year": [2020, 2020, 2021, 2021], "achievement": [0.2, 1.3, 0.7, None]})
    fig = outcomes_achievement(frame, "fr")
    assert sum(sum(trace.y) for trace in fig.data) == 3
    assert describe.outcomes_achievement(frame, "en").startswith("3 indicator measurements; 1 reached")


def test_empty_frames_give_an_empty_figure_and_a_sentence():
    empty = pl.DataFrame({"year": [], "committed_eur": [], "disbursed_eur": []},
                         schema={"year": pl.Int32, "committed_eur": pl.Float64, "disbursed_eur": pl.Float64})
    assert funding_by_year(empty, "fr").layout.annotations[0].text == "Pas de données pour cette année."
    assert describe.funding_by_year(empty, "en") == "No data for this selection."


def test_committed_against_target_figure_and_words():
    from dashboard import describe as words

    df = pl.DataFrame({"year": [2023, 2024, 2025], "value": [9.5e6, 10.2e6, 9.8e6], "target": [1e7, 1e7, 1e7]})
    fig = committed_against_target(df, "fr")
    assert sum(fig.data[0].y) == pytest.approx(df["value"].sum())
    assert list(fig.data[1].y) == [1e7, 1e7, 1e7]
    met = sum(1 for v, tg in zip(df["value"], df["target"]) if v >= tg)  # only 2024
    assert words.committed_against_target(df, "fr") == (
        "En 2025, 9,8 M€ engagés. C'est 98\u202f% de l'objectif annuel (10,0 M€). "
        f"Années où l'objectif est atteint\u00a0: {met} sur 3."
    )
    assert "Years on target: 1 of 3." in words.committed_against_target(df, "en")


# ---- the toolbar and the ticks (issue 15)

def test_graph_config_keeps_the_picture_and_the_reset_in_the_page_language():
    for lang in ("fr", "en"):
        config = figures.graph_config(lang, "funding-by-year")
        assert config["modeBarButtons"] == [["toImage", "resetViews"]]  # plotly adds nothing to a full list
        assert config["locale"] == lang and config["displaylogo"] is False
        assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
        assert config["showLink"] is False and config["sendData"] is False
        assert config["toImageButtonOptions"]["filename"] == "funding-by-year"
        assert config["topojsonURL"] == "/assets/topojson/"
    assert figures.graph_config("de")["locale"] == "fr"  # an unknown language reads French
    locale = (GEOJSON.parents[1] / "plotly-locale-fr.js").read_text(encoding="utf-8")
    assert "name: 'fr'" in locale and "'Reset views': 'Réinitialiser'" in locale


MILLIONS_FR = r"-?\d+(,\d+)?\u00a0M€"


def test_money_ticks_read_as_the_language_writes_money():
    import re

    frame = pl.DataFrame({"year": [2023, 2024, 2025], "committed_eur": [9.85e6, 12.1e6, 11.0e6],
                          "disbursed_eur": [4.2e6, 9.0e6, 9.5e6]})
    fr, en = funding_by_year(frame, "fr").layout.yaxis, funding_by_year(frame, "en").layout.yaxis
    assert fr.tickmode == en.tickmode == "array" and list(fr.tickvals) == list(en.tickvals)
    assert fr.tickvals[0] == 0 and max(fr.tickvals) >= 12.1e6  # the ticks cover the bars
    assert all(t == "0" or re.fullmatch(MILLIONS_FR, t) for t in fr.ticktext), fr.ticktext
    assert all(t == "0" or re.fullmatch(r"-?€\d+(\.\d+)?M", t) for t in en.ticktext), en.ticktext
    assert "10\u00a0M€" in fr.ticktext and "12,5\u00a0M€" in fr.ticktext and "€12.5M" in en.ticktext
    # each label says its value: the number before M€ is the tick in millions
    for value, text in zip(fr.tickvals, fr.ticktext):
        if text != "0":
            assert float(text.split("\u00a0")[0].replace(",", ".")) * 1e6 == pytest.approx(value)
    target = pl.DataFrame({"year": [2024, 2025], "value": [180_000.0, 95_000.0], "target": [200_000.0, 200_000.0]})
    ticks = committed_against_target(target, "fr").layout.yaxis.ticktext
    assert "200\u00a0k€" in ticks and all(t == "0" or t.endswith("\u00a0k€") for t in ticks)


def test_count_ticks_and_colour_bars_in_each_language():
    reach = pl.DataFrame({"year": [2024, 2025], "events": [1800, 3900], "participants": [120_000, 180_000],
                          "young_participants": [40_000, 60_000]})
    fr, en = campaign_reach_bars(reach, "fr").layout, campaign_reach_bars(reach, "en").layout
    assert "150\u00a0k" in fr.yaxis.ticktext and "150k" in en.yaxis.ticktext
    assert "2\u00a0k" in fr.yaxis2.ticktext and "2k" in en.yaxis2.ticktext  # the events' own axis
    places = pl.DataFrame({"country_code": ["MLI", "SEN"], "name_fr": ["Mali", "Sénégal"],
                           "name_en": ["Mali", "Senegal"], "committed_eur": [6.5e6, 1.2e6]})
    bar = world_map(places, "fr").data[0].colorbar
    assert bar.tickmode == "array" and "6\u00a0M€" in bar.ticktext
    small = outcomes_achievement(pl.DataFrame({"year": [2024] * 3, "achievement": [0.2, 0.7, 1.3]}), "fr")
    assert small.layout.yaxis.tickmode is None  # under a thousand: plotly's own ticks, French by `separators`
    assert figures.nice_ticks(0, 9.85e6)[:3] == [0, 2e6, 4e6]
    ticks = figures.nice_ticks(-1.2e6, 3e6)
    assert ticks[0] <= -1.2e6 and ticks[-1] >= 3e6 and 0 in ticks and ticks[1] - ticks[0] == 1e6


def test_legends_sit_under_the_plot_and_the_toolbar_has_its_band():
    by_year = pl.DataFrame({"year": [2024], "committed_eur": [1.0], "disbursed_eur": [2.0]})
    for fig in (funding_by_year(by_year, "fr"),
                outcomes_achievement(pl.DataFrame({"year": [2024], "achievement": [0.5]}), "en")):
        legend = fig.layout.legend
        assert (legend.orientation, legend.yref, legend.y, legend.yanchor, legend.x) == ("h", "container", 0,
                                                                                          "bottom", 0)
        assert fig.layout.margin.t >= figures.MODEBAR_BAND
    geo = world_map(pl.DataFrame({"country_code": ["MLI"], "name_fr": ["Mali"], "name_en": ["Mali"],
                                          "committed_eur": [5.0]}), "fr")
    assert geo.layout.margin.t == figures.MODEBAR_BAND and geo.layout.margin.l == 0  # the map keeps its edges
