"""The only place the app reads data: the serving snapshot, read-only.

Every query opens a short-lived read-only connection (DuckDB caches a database per
path inside a process until its last connection closes, so a swapped-in snapshot is
seen by the next request), binds its values as parameters, and returns a polars
frame. Results are cached per snapshot version: a new snapshot is seen at once,
repeats are cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, wraps
from pathlib import Path

import duckdb
import flask
import polars as pl

CONFIG_KEY = "SOLIDARITY_SERVING"


@dataclass(frozen=True)
class SnapshotInfo:
    version: str
    built_at: str
    code_version: str
    is_sample: bool


def serving_path() -> Path:
    try:
        return Path(flask.current_app.config[CONFIG_KEY])
    except RuntimeError:  # outside a request (tests, scripts)
        from pipelines.settings import serving_path as default

        return default()


def _stamp(path: Path) -> tuple[str, int, int]:
    # inode + mtime change on every atomic replace: the cache key of "this snapshot"
    st = os.stat(path)
    return (str(path), st.st_ino, st.st_mtime_ns)


def snapshot_stamp(path: Path | None = None) -> tuple[str, int, int]:
    """Identity of the snapshot being served: the key of every per-snapshot cache."""
    return _stamp(path or serving_path())


def per_snapshot(maxsize: int = 256):
    """Memoise a function of keyword arguments per snapshot identity (for page layouts).

    The key is the snapshot stamp and the normalised arguments (sorted, lists as tuples),
    so a swapped-in snapshot is seen by the next call and old entries age out of the LRU.
    The cached value is shared between requests: callers must not mutate it."""

    def decorate(func):
        @lru_cache(maxsize=maxsize)
        def cached(stamp: tuple, frozen: tuple):
            return func(**{k: list(v) if isinstance(v, tuple) else v for k, v in frozen})

        @wraps(func)
        def wrapper(**kwargs):
            frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
            return cached(snapshot_stamp(), frozen)

        wrapper.cache_clear = cached.cache_clear
        return wrapper

    return decorate


def cache_page_layouts(registry: dict, maxsize: int = 128) -> None:
    """Wrap every page's layout function in `per_snapshot`: a page is built once per snapshot
    and query string, then served from memory (figures included). Dash re-imports the pages
    for each app, so this runs once per app; a layout already wrapped is left as it is."""
    for page in registry.values():
        layout = page.get("layout")
        if callable(layout) and not hasattr(layout, "cache_clear"):
            page["layout"] = per_snapshot(maxsize)(layout)


class ResponseCache:
    """Whole `/_dash-update-component` responses of URL-driven callbacks, per snapshot and body.

    A callback whose inputs are only the URL (pathname, search) or the grants grid's row
    request is a pure view of the snapshot: the same body gives the same bytes. Once built
    and serialised (a page is 20–120 kB of JSON, tens of ms to encode) its response is
    replayed. Bounded by total size (LRU); the key starts with the snapshot stamp, so a new
    snapshot misses at once. Callbacks with any other input (a click) are never cached.
    A response is kept as sent, compressed or not (the request's Accept-Encoding is part of
    the key), so a replay costs neither the JSON encoding nor the compression."""

    CACHEABLE_INPUTS = frozenset({"pathname", "search", "getRowsRequest"})

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[bytes, str, str | None]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def key(self, body: bytes, accept_encoding: str = "") -> tuple | None:
        try:
            payload = json.loads(body)
            inputs = payload["inputs"]
            if not inputs or payload.get("state") or not all(
                    i["property"] in self.CACHEABLE_INPUTS for i in inputs):
                return None
        except (ValueError, KeyError, TypeError):
            return None  # Dash answers malformed bodies itself
        normal = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return (snapshot_stamp(), hashlib.sha256(normal).digest(), accept_encoding)

    def get(self, key: tuple) -> tuple[bytes, str, str | None] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple, data: bytes, mimetype: str, encoding: str | None = None) -> None:
        if len(data) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (data, mimetype, encoding)
            self._size += len(data)
            while self._size > self.max_bytes:
                _, (old, *_) = self._entries.popitem(last=False)
                self._size -= len(old)


def cache_callback_responses(server: flask.Flask) -> ResponseCache:
    """Serve repeated URL-driven callbacks from a ResponseCache: looked up before Dash's
    dispatch, stored after a 200 (after any compression registered later on the app:
    Flask runs `after_request` hooks last-registered first)."""
    cache = ResponseCache()

    @server.before_request
    def replay():
        if flask.request.method != "POST" or not flask.request.path.endswith("/_dash-update-component"):
            return None
        key = cache.key(flask.request.get_data(cache=True), flask.request.headers.get("Accept-Encoding", ""))
        if key is None:
            return None
        hit = cache.get(key)
        if hit is not None:
            data, mimetype, encoding = hit
            response = flask.Response(data, mimetype=mimetype)
            if encoding:  # already compressed (Flask-Compress leaves it as it is)
                response.headers.update({"Content-Encoding": encoding, "Vary": "Accept-Encoding"})
            return response
        flask.g.response_cache_key = key
        return None

    @server.after_request
    def remember(response: flask.Response) -> flask.Response:
        key = flask.g.pop("response_cache_key", None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            cache.put(key, response.get_data(), response.mimetype, response.headers.get("Content-Encoding"))
        return response

    return cache


def query(sql: str, params: dict | None = None, path: Path | None = None) -> pl.DataFrame:
    """Run one parameterised read-only query against the snapshot (cached per snapshot)."""
    path = path or serving_path()
    return _cached_query(_stamp(path), sql, tuple(sorted((params or {}).items())))


@lru_cache(maxsize=512)
def _cached_query(stamp: tuple[str, int, int], sql: str, params: tuple) -> pl.DataFrame:
    conn = duckdb.connect(stamp[0], read_only=True)
    try:
        return conn.sql(sql, params=dict(params) or None).pl()
    finally:
        conn.close()


def snapshot_info(path: Path | None = None) -> SnapshotInfo:
    frame = query(
        "select snapshot_version, cast(built_at as varchar) as built_at, code_version, is_sample "
        "from manifest limit 1",
        path=path,
    )
    row = frame.row(0, named=True)
    return SnapshotInfo(row["snapshot_version"], row["built_at"], row["code_version"], bool(row["is_sample"]))


def years(path: Path | None = None) -> list[int]:
    frame = query("select distinct year from kpis where year is not null order by year", path=path)
    return frame["year"].to_list()


def kpis(year: int, path: Path | None = None, filters=None) -> pl.DataFrame:
    return query(
        f"select indicator, value, previous_value, target, unit from {money_source('kpis', filters)} as k "
        f"where year = $year order by indicator",
        {"year": year},
        path=path,
    )


# --- officials' pages (issue 6): one function per view, filters bound as parameters ---------

def indicator_by_year(indicator: str = "committed_eur", filters=None, path: Path | None = None) -> pl.DataFrame:
    """One KPI across the years with its target (the overview's chart): year, value, target."""
    return query(
        f"select year, value, target from {money_source('kpis', filters)} as k "
        f"where indicator = $indicator and value is not null order by year",
        {"indicator": indicator},
        path=path,
    )


def data_dictionary(path: Path | None = None) -> pl.DataFrame:
    """Every published column: table, column, type, meaning, unit, source SQL file."""
    return query(
        "select table_name, column_name, data_type, meaning, unit, source from data_dictionary "
        "order by table_name, position",
        path=path,
    )


def filter_allowlists(path: Path | None = None):
    """The values a URL filter may take, from the snapshot itself."""
    from dashboard.filters import Allowed

    years = query("select distinct year from funding where year is not null order by year", path=path)
    codes = query(
        "select distinct 'p' as kind, programme as code from funding where programme is not null "
        "union all select distinct 'c', location_code from funding where location_code <> 'unallocated' "
        "union all select distinct 's', category_code from funding where category_code <> 'unallocated' "
        "union all select distinct 's', sector_code from funding where sector_code <> 'unallocated' "
        "union all select 'd', code from departements",
        path=path,
    )

    def of(kind: str) -> frozenset[str]:
        return frozenset(codes.filter(pl.col("kind") == kind)["code"].drop_nulls().to_list())

    return Allowed(tuple(years["year"].to_list()), of("p"), of("c"), of("s"), of("d"), price_base(path))


# --- constant euros (issue 15): the one place a money column is turned into euros of the base year ----

# Per year with an index: the latest index over the year's, as DECIMAL(18, 12) (the ratio to 10⁻¹²:
# under a thousandth of a cent on 100 M€; the base year's is exactly 1). A DECIMAL money column
# times it stays DECIMAL (38, scale + 12), exact, and the base year's amounts are unchanged to
# the last digit; a DOUBLE one stays DOUBLE. Rounded for display only (pages, files), never here.
_DEFLATORS = ("(select year, cast((select max_by(cpi, year) from consumer_prices) / cpi as decimal(18, 12)) "
              "as factor from consumer_prices)")
# table -> (money column -> which year's index deflates it, as an offset from the row's year;
# the condition that says the row is money). A KPI's previous value is last year's money.
_MONEY_COLUMNS = {
    "funding": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    "funding_reconciliation": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    # a grant's paid total is deflated with its grant year's index (the grid's one figure); its
    # payments one by one (grant_payments) each with its own year's
    "grants_public": ({"amount_eur": 0, "paid_eur": 0}, "true"),
    "grant_payments": ({"amount_eur": 0}, "true"),
    "kpis": ({"value": 0, "previous_value": -1, "target": 0}, "t.unit = 'EUR'"),
}


def money_source(table: str, filters=None) -> str:
    """`table` as a query reads it: itself in current euros; with `euros=constant`, the same
    columns with every money column × (latest index / its year's index). A year without an
    index (not yet published) keeps its nominal amount: `unindexed_years` names those years,
    and the pages say so. `table` is one of `_MONEY_COLUMNS`' fixed names, never a user value."""
    columns, is_money = _MONEY_COLUMNS[table]
    if filters is None or not getattr(filters, "constant_euros", False):
        return table
    offsets = sorted(set(columns.values()))
    joins = " ".join(f"left join {_DEFLATORS} as d{i} on d{i}.year = t.year + ({offset})"
                     for i, offset in enumerate(offsets))
    replaced = ", ".join(
        f"case when {is_money} then t.{column} * coalesce(d{offsets.index(offset)}.factor, 1) "
        f"else t.{column} end as {column}" for column, offset in columns.items())
    return f"(select t.* replace ({replaced}) from {table} as t {joins})"


def price_base(path: Path | None = None) -> int | None:
    """The constant euros' base: the latest year with a consumer price index in the snapshot
    (None when the snapshot has no index table, e.g. one built before it existed)."""
    has = query("select count(*) as n from information_schema.tables where table_name = 'consumer_prices'",
                path=path)
    if not has["n"][0]:
        return None
    return query("select max(year) as year from consumer_prices", path=path)["year"][0]


def unindexed_years(path: Path | None = None) -> list[int]:
    """Years with money but no consumer price index yet: their amounts stay in current euros."""
    return query(
        "select distinct year from (select year from funding union all select year from grants_public "
        "union all select year from kpis where unit = 'EUR') where year is not null "
        "and year not in (select year from consumer_prices) order by year", path=path)["year"].to_list()


def _funding_where(filters, alias: str = "f") -> tuple[str, dict]:
    """A where clause over `funding`-shaped tables (year, programme, location_code, category/sector)."""
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append(f"{alias}.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append(f"{alias}.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append(f"{alias}.location_code = $country")
        params["country"] = filters.country
    if filters.sector:
        column = "category_code" if len(filters.sector) == 3 else "sector_code"
        clauses.append(f"{alias}.{column} = $sector")
        params["sector"] = filters.sector
    return " and ".join(clauses), params


def _name(lang: str) -> str:
    # an identifier picked from two fixed names, never a user value
    return "name_en" if lang == "en" else "name_fr"


def _names(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Name columns as every reader of these frames sees them (pages, embeds, downloads):
    DAC names as sentences, 'unallocated' as what is not known ('Pays non connu', 'Catégorie
    CAD non connue'), a code no list names said with what it is (figures.readable_names, the
    one rule). The cached frame is left as it is: a new one is returned."""
    from dashboard.figures import readable_names

    return readable_names(frame, lang)


def funding_by_year(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    return query(
        f"select f.year, sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding', filters)} as f where {where} group by f.year order by f.year",
        params, path=path,
    )


def funding_by_place(filters, path: Path | None = None) -> pl.DataFrame:
    """Every destination: countries (ISO-3), IATI regions and 'unallocated', with names, and
    for countries their population and the amounts per inhabitant (null where unknown)."""
    from dashboard.i18n import t

    where, params = _funding_where(filters)
    frame = query(
        f"select *, committed_eur / nullif(population, 0) as committed_eur_per_capita, "
        f"disbursed_eur / nullif(population, 0) as disbursed_eur_per_capita from ("
        f"select f.location_code as country_code, f.location_kind, "
        # a region is named from the IATI Region codelist (ref table iati_regions)
        f"coalesce(c.name_fr, r.name_fr, f.location_code) as name_fr, "
        f"coalesce(c.name_en, r.name_en, f.location_code) as name_en, "
        f"case when f.location_kind = 'country' then c.population end as population, "
        f"sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding', filters)} as f left join countries as c on c.alpha3 = f.location_code "
        f"left join iati_regions as r on r.code = f.location_code and f.location_kind = 'region' "
        f"where {where} group by all) order by committed_eur desc, country_code",
        params, path=path,
    )
    # the money no country is known for is named so, in both name columns' languages
    return frame.with_columns(pl.when(pl.col("location_kind") == "unallocated").then(pl.lit(t("unknown_place", lang)))
                              .otherwise(pl.col(f"name_{lang}")).alias(f"name_{lang}") for lang in ("fr", "en"))


def flows(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    name = _name(lang)
    return _names(query(
        f"select f.programme, f.beneficiary_type, f.category_code, "
        f"coalesce(k.{name}, f.category_code) as category_name, f.location_code, "
        f"coalesce(c.{name}, r.{name}, f.location_code) as location_name, sum(f.committed_eur) as committed_eur "
        f"from {money_source('funding', filters)} as f left join dac_categories as k on k.code3 = f.category_code "
        f"left join countries as c on c.alpha3 = f.location_code "
        f"left join iati_regions as r on r.code = f.location_code and f.location_kind = 'region' "
        # a full order (cents, then the keys): equal amounts come out the same way every build
        f"where {where} group by all order by round(sum(f.committed_eur), 2) desc, f.programme, f.beneficiary_type, "
        f"f.category_code, f.location_code",
        params, path=path,
    ), lang)


def sectors(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    name = _name(lang)
    return _names(query(
        f"select f.category_code, coalesce(k.{name}, f.category_code) as category_name, f.sector_code, "
        f"coalesce(s.{name}, f.sector_code) as sector_name, sum(f.committed_eur) as committed_eur, "
        f"sum(f.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding', filters)} as f left join dac_categories as k on k.code3 = f.category_code "
        f"left join dac_sectors as s on s.code5 = f.sector_code "
        f"where {where} group by all order by f.category_code, f.sector_code",
        params, path=path,
    ), lang)


def outcomes(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters, alias="o")
    return query(
        f"select o.year, o.location_code, o.category_code, o.sector_code, o.programme, o.reference_decision, "
        f"o.activity_title, o.indicator_title, o.baseline_value, o.target_value, o.actual_value, o.achievement "
        f"from outcomes as o where {where} order by o.year desc, o.location_code, o.activity_title, "
        f"o.iati_identifier, o.result_index, o.indicator_index, o.period_start",
        params, path=path,
    )


def _grants_where(filters) -> tuple[list[str], dict]:
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("g.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append("g.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append("g.main_location_code = $country")
        params["country"] = filters.country
    if filters.sector:
        # a grant has one category (its activity's largest): a 5-digit sector filters on its category
        clauses.append("g.main_category_code = $category")
        params["category"] = filters.sector[:3]
    return clauses, params


_GRANT_COLUMNS = ("g.year, g.date_convention, g.reference_decision, g.programme, g.beneficiary_name, "
                  "g.beneficiary_type, g.purpose, g.main_location_code, g.main_category_code, g.amount_eur, g.paid_eur")


def grants(filters, path: Path | None = None) -> pl.DataFrame:
    """Public grants (natural persons already anonymised in the mart); the sector filter applies to
    each grant's main DAC category."""
    clauses, params = _grants_where(filters)
    return query(
        f"select {_GRANT_COLUMNS} "
        f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} order by g.date_convention desc, g.reference_decision",
        params, path=path,
    )


def grants_by_category(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    """Grants counted and summed by their main DAC category (the sectors page's drill-down)."""
    clauses, params = _grants_where(filters)
    name = _name(lang)
    return _names(query(
        f"select g.main_category_code as category_code, coalesce(k.{name}, g.main_category_code) as category_name, "
        f"count(*) as grants, sum(g.amount_eur) as amount_eur "
        f"from {money_source('grants_public', filters)} as g left join dac_categories as k on k.code3 = g.main_category_code "
        f"where {' and '.join(clauses)} group by all order by amount_eur desc, category_code",
        params, path=path,
    ), lang)


# The grants table pages through the snapshot (ag-grid's infinite row model): the grid's
# sort and filter models arrive from the browser, so every column and operator is looked up
# in these allowlists and only values are bound; nothing from the request becomes SQL text.
GRANT_SORTABLE = {"year": "g.year", "date_convention": "g.date_convention",
                  "reference_decision": "g.reference_decision", "programme": "g.programme",
                  "beneficiary_name": "g.beneficiary_name", "beneficiary_type": "g.beneficiary_type",
                  "purpose": "g.purpose", "main_location_code": "g.main_location_code",
                  "main_category_code": "g.main_category_code", "amount_eur": "g.amount_eur",
                  "paid_eur": "g.paid_eur"}
# The grid shows a grant's country (or IATI region) and DAC category by name, in the page's
# language, and sorts and filters on that name (null where not known: 'blank' finds them);
# lower() so capitals in the OECD's list sort with the rest.
_PLACE_NAME = ("coalesce((select c.name_{l} from countries as c where c.alpha3 = g.main_location_code), "
               "(select r.name_{l} from iati_regions as r where r.code = g.main_location_code))")
_CATEGORY_NAME = "(select k.name_{l} from dac_categories as k where k.code3 = g.main_category_code)"
GRANT_NAMES = {f"{kind}_{lang}": expr.format(l=lang) for lang in ("fr", "en")
               for kind, expr in (("location", _PLACE_NAME), ("category", _CATEGORY_NAME))}
GRANT_SORTABLE.update({field: f"lower({expr})" for field, expr in GRANT_NAMES.items()})
GRANT_TEXT_FILTERS = ("reference_decision", "programme", "beneficiary_name", "purpose", "main_location_code",
                      "main_category_code", *GRANT_NAMES)
GRANT_NUMBER_FILTERS = ("amount_eur",)
GRANT_TEXT_OPS = {  # {c} a column expression, {v} the bound value; case-insensitive like the grid's own
    "contains": "contains(lower(coalesce({c}, '')), lower({v}))",
    "notContains": "not contains(lower(coalesce({c}, '')), lower({v}))",
    "equals": "lower({c}) = lower({v})",
    "notEqual": "lower(coalesce({c}, '')) <> lower({v})",
    "startsWith": "starts_with(lower({c}), lower({v}))",
    "endsWith": "ends_with(lower({c}), lower({v}))",
}
GRANT_NUMBER_OPS = {"equals": "{c} = {v}", "notEqual": "{c} <> {v}", "greaterThan": "{c} > {v}",
               "greaterThanOrEqual": "{c} >= {v}", "lessThan": "{c} < {v}", "lessThanOrEqual": "{c} <= {v}",
               "inRange": "{c} between {v} and {w}"}

# (field, operator, value, value_to) -- validated by the caller, re-checked here
GridCondition = tuple[str, str, object, object]


def _grid_where(conditions: tuple[tuple[str, tuple[GridCondition, ...]], ...], params: dict) -> list[str]:
    """SQL for the grid's column filters: one group per column ("and"/"or" of its conditions),
    groups joined with "and"; an unknown column or operator raises (callers validate first)."""
    clauses = []
    for join, group in conditions:
        parts = []
        for field, op, value, value_to in group:
            column = GRANT_SORTABLE[field]
            if op == "blank":
                parts.append(f"({column} is null)")
                continue
            if op == "notBlank":
                parts.append(f"({column} is not null)")
                continue
            ops = GRANT_TEXT_OPS if field in GRANT_TEXT_FILTERS else GRANT_NUMBER_OPS
            name = f"f{len(params)}"
            params[name] = value
            to_name = f"f{len(params)}"
            if op == "inRange":
                params[to_name] = value_to
            parts.append("(" + ops[op].format(c=column, v=f"${name}", w=f"${to_name}") + ")")
        clauses.append("(" + f" {'or' if join == 'or' else 'and'} ".join(parts) + ")")
    return clauses


def grants_summary(filters, conditions: tuple = (), path: Path | None = None) -> tuple[int, Decimal]:
    """How many grants match the page's filters and the grid's, and their total (exact DECIMAL)."""
    clauses, params = _grants_where(filters)
    clauses += _grid_where(conditions, params)
    frame = query(f"select count(*) as n, coalesce(sum(g.amount_eur), 0) as total from {money_source('grants_public', filters)} as g "
                  f"where {' and '.join(clauses)}", params, path=path)
    return int(frame["n"][0]), frame["total"][0]


def grant_counts(filters, path: Path | None = None) -> dict:
    """The selection's grants (programme pages, issue 16): how many, how many organisations
    (distinct SIRET: natural persons have none, and are never named) and how many grants went
    to natural persons."""
    clauses, params = _grants_where(filters)
    frame = query(f"select count(*) as grants, count(distinct g.beneficiary_siret) as organisations, "
                  f"count(*) filter (where g.beneficiary_type = 'personne_physique') as person_grants "
                  f"from grants_public as g where {' and '.join(clauses)}", params, path=path)
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


def campaign_events_of_type(filters, event_type: str, path: Path | None = None) -> dict:
    """Festival events of one type (e.g. 'marche_equitable') and their participants."""
    where, params = _local_where(filters)
    frame = query(f"select coalesce(sum(events), 0) as events, coalesce(sum(participants), 0) as participants "
                  f"from campaign_reach where {where} and event_type = $event_type",
                  {**params, "event_type": event_type}, path=path)
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


def grants_rows(filters, sort: tuple[tuple[str, str], ...], conditions: tuple, offset: int, limit: int,
                path: Path | None = None) -> pl.DataFrame:
    """One block of grants, sorted by the grid's sort model then a stable order (grant_key last)."""
    clauses, params = _grants_where(filters)
    clauses += _grid_where(conditions, params)
    order = [f"{GRANT_SORTABLE[field]} {'desc' if direction == 'desc' else 'asc'} nulls last"
             for field, direction in sort]
    order += ["g.date_convention desc nulls last", "g.reference_decision", "g.grant_key"]
    params.update(limit=int(limit), offset=int(offset))
    names = ", ".join(f"{expr} as {field}" for field, expr in GRANT_NAMES.items())
    return query(
        # grant_key: each row's project page (issue 16), the grid's row id
        f"select {_GRANT_COLUMNS}, g.grant_key, {names} from {money_source('grants_public', filters)} as g "
        f"where {' and '.join(clauses)} order by {', '.join(order)} limit $limit offset $offset",
        params, path=path,
    )


def _local_where(filters) -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.departement:
        clauses.append("departement_code = $departement")
        params["departement"] = filters.departement
    return " and ".join(clauses), params


def jobs_by_departement(filters, path: Path | None = None) -> pl.DataFrame:
    """Jobs in the latest year of the selection (jobs are a stock, never summed over years)."""
    where, params = _local_where(filters)
    return query(
        f"with chosen as (select * from jobs_by_departement where {where}), "
        f"latest as (select max(year) as year from chosen) "
        f"select c.year, c.departement_code, c.name, c.organisations, c.headcount, c.fte, c.volunteers "
        f"from chosen as c join latest using (year) order by c.departement_code",
        params, path=path,
    )


def campaign_reach(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _local_where(filters)
    return query(
        f"select year, departement_code, name, sum(events) as events, sum(participants) as participants, "
        f"sum(young_participants) as young_participants from campaign_reach where {where} "
        f"group by all order by year, departement_code",
        params, path=path,
    )


def data_quality(path: Path | None = None) -> pl.DataFrame:
    return query("select source, metric, value, latest_file_at from data_quality order by source, metric", path=path)


def money_reconciliation(path: Path | None = None) -> pl.DataFrame:
    """Public: per source and currency, the amounts read, counted and set aside (by reason):
    read = counted + set aside, rows and money (marts.money_reconciliation)."""
    return query(
        "select source, currency, outcome, coalesce(reason, '') as reason, sum(rows) as rows, "
        "sum(value) as amount, sum(value_eur) as amount_eur from money_reconciliation "
        "group by 1, 2, 3, 4 order by 1, 2, list_position(['read', 'counted', 'set_aside'], outcome), 4",
        path=path,
    )


def negative_money(path: Path | None = None) -> pl.DataFrame:
    """Public: IATI activities whose counted money nets below zero in a year (cancellations,
    reimbursements): counted as is, listed so nobody mistakes them for an error."""
    return query("select year, source_file, iati_identifier, flow_kind, amount_eur, transactions "
                 "from negative_money order by year desc, amount_eur", path=path)


def unconverted_money(path: Path | None = None) -> pl.DataFrame:
    """Public: IATI amounts with no euro rate (before 1999, or a currency the ECB never
    quoted), in their own currency: not counted, not hidden."""
    return query("select year, source_file, currency, transaction_type, transactions, value "
                 "from unconverted_money order by currency, year", path=path)


def rejected_counts(path: Path | None = None) -> pl.DataFrame:
    """Public: how many rows were rejected or flagged, by source and reason code (no values)."""
    return query(
        "select source, severity, split_part(reason, ':', 1) as reason, count(*) as rows "
        "from rejected_rows group by all order by source, rows desc, reason",
        path=path,
    )


def open_data_files(path: Path | None = None) -> pl.DataFrame:
    """Public: the SCDL and IATI files published with this snapshot and their validation."""
    from pipelines.export.published import read_report

    snapshot = path or serving_path()
    report = read_report(snapshot, snapshot_info(snapshot).version)
    rows = [] if report is None else [
        {"file": f["file"], "standard": f["standard"], "rows": f["rows"],
         "valid": f["validation"].get("valid"), "errors": f["validation"].get("errors")}
        for f in report["files"]]
    return pl.DataFrame(rows, schema={"file": pl.String, "standard": pl.String, "rows": pl.Int64,
                                      "valid": pl.Boolean, "errors": pl.Int64})


def publication_compliance(path: Path | None = None) -> pl.DataFrame:
    """Public: the 23,000 € rule per year (counts and rate; no grant-level detail)."""
    return query("select * from publication_compliance order by year desc, missing_field", path=path)


def publication_gaps(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: each grant above 23,000 € and the required field it lacks."""
    return query("select * from publication_gaps order by year desc, grant_key, missing_field", path=path)


def grant_project_reconciliation(path: Path | None = None) -> pl.DataFrame:
    """Public: grants <-> IATI projects per year and programme."""
    return query("select * from grant_project_reconciliation order by year desc, programme", path=path)


def link_review(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: links left to a person (ambiguous or suggested)."""
    return query("select * from link_review order by year desc, review, grant_key", path=path)


def payment_matching(path: Path | None = None) -> pl.DataFrame:
    """Public: the region's payments per year, matched to a grant (by which rule) or set aside
    (and why), rows and euros (marts.payment_matching: read = matched + set aside)."""
    return query("select year, outcome, reason, payments, amount_eur from payment_matching "
                 "order by year desc nulls last, outcome, reason", path=path)


def payment_totals(path: Path | None = None) -> dict:
    """Public: all years of marts.payment_matching in one line: read, matched, set aside
    (unmatched: no single grant found; other: repeated lines and rejected rows)."""
    frame = query(
        "select coalesce(sum(payments), 0) as read, coalesce(sum(amount_eur), 0) as read_eur, "
        "coalesce(sum(payments) filter (where outcome = 'matched'), 0) as matched, "
        "coalesce(sum(amount_eur) filter (where outcome = 'matched'), 0) as matched_eur, "
        "coalesce(sum(payments) filter (where outcome = 'set_aside' and reason not in ('repeated_payment', 'rejected_row')), 0) as unmatched, "
        "coalesce(sum(amount_eur) filter (where outcome = 'set_aside' and reason not in ('repeated_payment', 'rejected_row')), 0) as unmatched_eur, "
        "coalesce(sum(payments) filter (where reason in ('repeated_payment', 'rejected_row')), 0) as other, "
        "coalesce(sum(amount_eur) filter (where reason in ('repeated_payment', 'rejected_row')), 0) as other_eur "
        "from payment_matching", path=path)
    return frame.row(0, named=True)


def unmatched_payments(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: each payment no rule could give to one grant, with its file, line and reason."""
    return query("select * from unmatched_payments order by year desc, source_file, source_row", path=path)


def grant_payments(key: str, filters=None, path: Path | None = None) -> pl.DataFrame:
    """A grant's payments on the region's records (marts.grant_payments), oldest first."""
    return query(f"select payment_date, year, amount_eur, match_rule from {money_source('grant_payments', filters)} "
                 f"where grant_key = $key order by payment_date", {"key": key}, path=path)


def payment_delays(programme: str, path: Path | None = None) -> pl.DataFrame:
    """A programme's days from decision to first payment, per grant year (marts.payment_delays)."""
    return query("select year, grants_paid, min_days, median_days, max_days from payment_delays "
                 "where programme = $programme order by year desc", {"programme": programme}, path=path)


def rejected_rows(path: Path | None = None) -> pl.DataFrame:
    """Analysts only (behind a login): row-level detail, identifying values already masked."""
    return query(
        "select source, source_file, source_row, field, value, reason, severity from rejected_rows "
        "order by source, source_file, source_row",
        path=path,
    )


# --- reconciliation (issue 15): each page's total said as the sum of its parts -------------

def funding_parts(filters, path: Path | None = None) -> dict:
    """The selection's money split the ways the pages' totals differ (marts.funding_reconciliation):
    committed = grants + IATI co-financing = countries + regions + no known country
    = known DAC category + none; disbursed split by place alike; and the committed money whose
    payments are not tracked (no IATI activity records them). Same filters as `funding`."""
    where, params = _funding_where(filters, alias="r")
    parts = (  # (name, summed column, condition)
        ("committed_eur", "committed_eur", None),
        ("grant_eur", "committed_eur", "r.origin = 'grant'"),
        ("cofinancing_eur", "committed_eur", "r.origin = 'cofinancing'"),
        ("country_eur", "committed_eur", "r.location_kind = 'country'"),
        ("region_eur", "committed_eur", "r.location_kind = 'region'"),
        ("unknown_place_eur", "committed_eur", "r.location_kind = 'unallocated'"),
        ("known_category_eur", "committed_eur", "r.category_code <> 'unallocated'"),
        ("unknown_category_eur", "committed_eur", "r.category_code = 'unallocated'"),
        ("tracked_eur", "committed_eur", "r.payments_tracked"),
        ("untracked_eur", "committed_eur", "not r.payments_tracked"),
        ("disbursed_eur", "disbursed_eur", None),
        ("disbursed_country_eur", "disbursed_eur", "r.location_kind = 'country'"),
        ("disbursed_region_eur", "disbursed_eur", "r.location_kind = 'region'"),
        ("disbursed_unknown_place_eur", "disbursed_eur", "r.location_kind = 'unallocated'"),
        ("disbursed_known_category_eur", "disbursed_eur", "r.category_code <> 'unallocated'"),
        ("disbursed_unknown_category_eur", "disbursed_eur", "r.category_code = 'unallocated'"),
    )
    columns = ", ".join(
        f"coalesce(sum(r.{column})" + (f" filter (where {condition})" if condition else "") + f", 0) as {name}"
        for name, column, condition in parts)
    frame = query(
        f"select {columns}, count(distinct r.location_code) filter (where r.location_kind = 'country') as countries "
        f"from {money_source('funding_reconciliation', filters)} as r where {where}",
        params, path=path,
    )
    return frame.row(0, named=True)


def untracked_by_programme(filters, path: Path | None = None) -> pl.DataFrame:
    """Per programme of the selection, committed money and the part whose payments are not
    tracked (no IATI activity), largest first; programmes with none left out."""
    where, params = _funding_where(filters, alias="r")
    return query(
        f"select r.programme, sum(r.committed_eur) as committed_eur, "
        f"sum(r.committed_eur) filter (where not r.payments_tracked) as untracked_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by r.programme "
        f"having sum(r.committed_eur) filter (where not r.payments_tracked) <> 0 "
        f"order by untracked_eur desc, r.programme",
        params, path=path,
    )


def funding_tracking_by_year(filters, path: Path | None = None) -> pl.DataFrame:
    """Per year: committed, the committed money whose payments are tracked, and disbursed."""
    where, params = _funding_where(filters, alias="r")
    return query(
        f"select r.year, sum(r.committed_eur) as committed_eur, "
        f"coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur, "
        f"sum(r.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by r.year order by r.year",
        params, path=path,
    )


def reach_parts(filters, path: Path | None = None) -> dict:
    """Festival participants of the selection: all of them, and those of a known département
    (the map) or none ('inconnu')."""
    where, params = _local_where(filters)
    frame = query(
        f"select coalesce(sum(participants), 0) as participants, "
        f"coalesce(sum(participants) filter (where departement_code <> 'inconnu'), 0) as known, "
        f"coalesce(sum(participants) filter (where departement_code = 'inconnu'), 0) as unknown "
        f"from campaign_reach where {where}",
        params, path=path,
    )
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


# An indicator is summed only when its measure is a unit count (IATI measure 1, or none given):
# percentages, nominal, ordinal and qualitative values do not add up.
_SUMMABLE = "coalesce(o.measure, '1') = '1'"
# a period is over when it ended before the snapshot was built (no end: its start)
_OVER = ("coalesce(o.period_end, o.period_start) < "
         "cast((select max(built_at) from manifest) as date)")


def outcome_totals(filters, path: Path | None = None) -> pl.DataFrame:
    """Results by indicator: the sum of the values reached, and the share of the target reached
    over the measurements that have both (sum of actuals / sum of targets), with how many
    measurements are counted and left out. Unit indicators only (see `outcome_parts`).

    Columns: indicator_title, ascending, measurements, actual_total (every measurement with a
    value reached), with_both, actual_with_target, target_with_actual, target_share (null
    for an indicator where lower is better), without_actual, without_target."""
    where, params = _funding_where(filters, alias="o")
    return query(
        f"select o.indicator_title, bool_and(coalesce(o.ascending, true)) as ascending, "
        f"count(*) as measurements, sum(o.actual_value) as actual_total, "
        f"count(*) filter (where o.actual_value is not null and o.target_value is not null) as with_both, "
        f"sum(o.actual_value) filter (where o.target_value is not null) as actual_with_target, "
        f"sum(o.target_value) filter (where o.actual_value is not null) as target_with_actual, "
        f"case when bool_and(coalesce(o.ascending, true)) then "
        f"sum(o.actual_value) filter (where o.target_value is not null) "
        f"/ nullif(sum(o.target_value) filter (where o.actual_value is not null), 0) end as target_share, "
        f"count(*) filter (where o.actual_value is null) as without_actual, "
        f"count(*) filter (where o.actual_value is not null and o.target_value is null) as without_target "
        f"from outcomes as o where {where} and {_SUMMABLE} group by o.indicator_title "
        f"order by actual_total desc nulls last, o.indicator_title",
        params, path=path,
    )


def outcome_parts(filters, path: Path | None = None) -> dict:
    """The selection's result measurements, each in one part: counted (value reached and
    target), without a target (in the totals, not in the share of target), without a value
    reached (left out: its period ends after the snapshot was built, or it ended and nothing
    was reported), not a count (percentages and other measures: never summed)."""
    where, params = _funding_where(filters, alias="o")
    frame = query(
        f"select count(*) as measurements, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is not null and o.target_value is not null) "
        f"as counted, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is not null and o.target_value is null) "
        f"as without_target, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is null and not {_OVER}) as without_actual_not_due, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is null and {_OVER}) as without_actual_overdue, "
        f"count(*) filter (where not {_SUMMABLE}) as not_summable "
        f"from outcomes as o where {where}",
        params, path=path,
    )
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


def outcomes_by_band(filters, path: Path | None = None) -> pl.DataFrame:
    """Measurements per year by how much of their target was reached (the band chart's table)."""
    where, params = _funding_where(filters, alias="o")
    return query(
        f"select o.year, count(*) filter (where o.achievement < 0.5) as below_half, "
        f"count(*) filter (where o.achievement >= 0.5 and o.achievement < 1) as half_or_more, "
        f"count(*) filter (where o.achievement >= 1) as reached, "
        f"count(*) filter (where o.achievement is null) as no_achievement "
        f"from outcomes as o where {where} group by o.year order by o.year",
        params, path=path,
    )


_TRACKED_KEYS = ("year", "programme", "location_code", "category_code", "sector_code")


def tracked_by(filters, keys: tuple[str, ...], path: Path | None = None) -> pl.DataFrame:
    """Committed money whose payments are tracked (it has an IATI activity), per `keys` (columns
    of `funding`, from a fixed list): what tells a 0 paid from a payment never recorded."""
    if not keys or any(k not in _TRACKED_KEYS for k in keys):
        raise ValueError(f"tracked_by keys must be among {_TRACKED_KEYS}")
    where, params = _funding_where(filters, alias="r")
    columns = ", ".join(f"r.{k}" for k in keys)
    return query(
        f"select {columns}, coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by {columns} order by {columns}",
        params, path=path,
    )


# --- names, never codes (issue 15): what a filter's code is called on screen ----------------

def place_name(code: str, lang: str, path: Path | None = None) -> str | None:
    """A country's (ISO-3) or an IATI region's name in the language; None when neither list has it."""
    name = _name(lang)
    frame = query(f"select coalesce((select {name} from countries where alpha3 = $code), "
                  f"(select {name} from iati_regions where code = $code)) as name", {"code": code}, path=path)
    return frame["name"][0]


def sector_name(code: str, lang: str, path: Path | None = None) -> str | None:
    """A DAC category's (3 digits) or sector's (5 digits) name in the language, as a sentence."""
    from dashboard.i18n import sentence_case

    name = _name(lang)
    table, key = ("dac_categories", "code3") if len(code) == 3 else ("dac_sectors", "code5")
    frame = query(f"select {name} as name from {table} where {key} = $code", {"code": code}, path=path)
    return sentence_case(frame["name"][0]) if frame.height else None


def departement_name(code: str, path: Path | None = None) -> str | None:
    frame = query("select name from departements where code = $code", {"code": code}, path=path)
    return frame["name"][0] if frame.height else None


def filter_labels(filters, path: Path | None = None) -> dict[str, str]:
    """The active filters' names for the filter chips: 'Burkina Faso', not 'BFA'; 'Éducation
    de base', not '112'; 'Isère (38)', as départements are written in France. A code no list
    names stays as it is."""
    lang, labels = filters.lang, {}
    if filters.country:
        labels["country"] = place_name(filters.country, lang, path) or filters.country
    if filters.sector:  # a code newer than the shipped DAC list is said with what it is
        from dashboard.i18n import t

        unnamed = "unnamed_category" if len(filters.sector) == 3 else "unnamed_sector"
        labels["sector"] = sector_name(filters.sector, lang, path) or t(unnamed, lang, code=filters.sector)
    if filters.departement:
        name = departement_name(filters.departement, path)
        labels["departement"] = f"{name} ({filters.departement})" if name else filters.departement
    return labels


# --- country profiles and project pages (issue 16) -------------------------------------------

def place(code: str, path: Path | None = None) -> dict | None:
    """A country's (ISO-3) or an IATI region's reference row: `kind` ('country' or 'region'),
    names, and for a country its LDC status, DAC region and population (GeoNames' single
    figure, docs/reference-data.md); None when neither list has the code."""
    frame = query(
        "select 'country' as kind, name_fr, name_en, ldc, dac_region_fr, dac_region_en, population "
        "from countries where alpha3 = $code union all "
        "select 'region', name_fr, name_en, cast(null as boolean), cast(null as varchar), cast(null as varchar), "
        "cast(null as bigint) from iati_regions where code = $code",
        {"code": code}, path=path)
    return frame.row(0, named=True) if frame.height else None


_MONEY_BY = ("year", "programme", "category_code")


def money_by(filters, key: str, lang: str, path: Path | None = None) -> pl.DataFrame:
    """The selection's money per `key` (year, programme or DAC category, from a fixed list):
    committed, the committed part whose payments are tracked, disbursed — what a table needs
    to say 'non suivi' (reconcile.with_disbursed_text). Largest first; years in order."""
    if key not in _MONEY_BY:
        raise ValueError(f"money_by key must be among {_MONEY_BY}")
    where, params = _funding_where(filters, alias="r")
    name = _name(lang)
    named = key == "category_code"
    frame = query(
        f"select r.{key}" + (f", coalesce(k.{name}, r.category_code) as category_name" if named else "")
        + ", sum(r.committed_eur) as committed_eur, "
        "coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur, "
        f"sum(r.disbursed_eur) as disbursed_eur from {money_source('funding_reconciliation', filters)} as r "
        + ("left join dac_categories as k on k.code3 = r.category_code " if named else "")
        + f"where {where} group by all order by "
        + ("r.year" if key == "year" else f"round(sum(r.committed_eur), 2) desc, r.{key}"),
        params, path=path)
    return _names(frame, lang) if named else frame


# the organisation types whose grants name no one (the mart already replaced the name)
NATURAL_PERSON_TYPE = "personne_physique"


def place_organisations(filters, path: Path | None = None) -> pl.DataFrame:
    """The region's organisations funded in the selection's place (grants counted whole under
    their main country, as on the grants page): name, type, grants, amount. Natural persons
    are never listed (they are counted by `place_persons`)."""
    clauses, params = _grants_where(filters)
    params["person"] = NATURAL_PERSON_TYPE
    return query(
        f"select g.beneficiary_name, g.beneficiary_type, count(*) as grants, sum(g.amount_eur) as amount_eur "
        f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
        f"and g.beneficiary_type is distinct from $person group by all "
        f"order by round(sum(g.amount_eur), 2) desc, g.beneficiary_name",
        params, path=path)


def place_persons(filters, path: Path | None = None) -> tuple[int, object]:
    """Grants to natural persons in the selection: how many and how much (never who)."""
    clauses, params = _grants_where(filters)
    params["person"] = NATURAL_PERSON_TYPE
    frame = query(f"select count(*) as n, coalesce(sum(g.amount_eur), 0) as total "
                  f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
                  f"and g.beneficiary_type = $person", params, path=path)
    return int(frame["n"][0]), frame["total"][0]


def place_grants(filters, limit: int, path: Path | None = None) -> pl.DataFrame:
    """The selection's largest grants with their key (each one's project page)."""
    clauses, params = _grants_where(filters)
    params["limit"] = int(limit)
    return query(
        f"select g.grant_key, g.year, g.reference_decision, g.programme, g.beneficiary_name, g.beneficiary_type, "
        f"g.amount_eur from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
        f"order by g.amount_eur desc, g.grant_key limit $limit",
        params, path=path)


def grant(key: str, filters=None, path: Path | None = None) -> dict | None:
    """One public grant by its key (`grants_public.grant_key`, '<source file>:<line>'), with its
    place's and category's names in both languages; None when the snapshot has no such grant."""
    names = ", ".join(f"{expr} as {field}" for field, expr in GRANT_NAMES.items())
    frame = query(f"select g.*, {names} from {money_source('grants_public', filters)} as g "
                  f"where g.grant_key = $key", {"key": key}, path=path)
    return frame.row(0, named=True) if frame.height else None


def grant_keys(path: Path | None = None) -> frozenset[str]:
    """Every grant with a project page."""
    return frozenset(query("select grant_key from grants_public", path=path)["grant_key"].to_list())


def source_file(source: str, name: str, path: Path | None = None) -> dict | None:
    """The manifest's row of one raw file (sha256, size, modification time), None if absent."""
    frame = query("select source_file, sha256, size_bytes, cast(modified_at as varchar) as modified_at "
                  "from manifest where source = $source and source_file = $name",
                  {"source": source, "name": name}, path=path)
    return frame.row(0, named=True) if frame.height else None


def project_activity(key: str, path: Path | None = None) -> dict | None:
    """A grant's linked IATI activity (marts.project_activities): identifier, title, how it was
    linked, its places, sectors (lists of {code, share}) and transactions; None when no activity
    is linked (or the snapshot predates the table)."""
    has = query("select count(*) as n from information_schema.tables where table_name = 'project_activities'",
                path=path)
    if not has["n"][0]:
        return None
    frame = query("select * from project_activities where grant_key = $key", {"key": key}, path=path)
    return frame.row(0, named=True) if frame.height else None


def activity_outcomes(iati_identifier: str, path: Path | None = None) -> pl.DataFrame:
    """An IATI activity's results (`outcomes`): baseline, target and value reached per period."""
    return query(
        "select o.result_title, o.indicator_title, o.baseline_year, o.baseline_value, o.period_start, o.period_end, "
        "o.target_value, o.actual_value, o.achievement from outcomes as o where o.iati_identifier = $id "
        "order by o.result_index, o.indicator_index, o.period_start",
        {"id": iati_identifier}, path=path)
