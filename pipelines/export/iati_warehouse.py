"""What the IATI export reads from the warehouse, a chunk of grants at a time (at ×100 the
whole programme as Python dicts did not fit in memory): `read_export_head` (the reporting
authority, the natural persons' names and SIRETs the file must not hold, the co-financed
activities' identifiers), `grant_chunks` (the grants in the file's order, each with what its
identifier and money need from the others), and for a chunk `read_payments` (the region's
payments of each grant: the `accounting` flows of `staging.money_flows`) and
`read_activity_data` (for some IATI activities: the counted activity, its money in euros at
the value date, places and sectors (their shares, the codes the warehouse could not place
kept as published), results and participating organisations). One query per kind, grouped
by activity.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

import duckdb

from pipelines.privacy import MIN_IDENTIFIER_LENGTH

CHUNK = 5000  # grants (or co-financed activities) read, built and written at a time

_COUNTED = """
    semi join staging.activity_copies as k
        on k.iati_identifier = {t}.iati_identifier and k.source_file = {t}.source_file
        and {match} and k.counted
"""
_CHILD = _COUNTED.format(t="{t}", match="starts_with({t}.source_row, k.activity_row || '/')")
# the activities of a chunk: bound as $ids
_IN = "{t}.iati_identifier in (select unnest($ids::varchar[]))"
# a grant's position in the file; `grant_key` last makes it total
_GRANT_ORDER = "g.year, g.date_convention nulls last, g.reference_decision nulls last, g.grant_key"


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict[str, Any]]:
    cur = cur.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def read_export_head(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the whole file needs before its first activity."""
    data: dict[str, Any] = {}
    data["authority"] = conn.execute(
        """select attribuant_id, attribuant_nom, count(*) as n from raw.grants
           where attribuant_id is not null group by all order by n desc, attribuant_id, attribuant_nom limit 1"""
    ).fetchall()
    data["without_rate"] = conn.execute(
        "select count(*) from staging.transactions_eur where rate_missing").fetchall()[0][0]
    # counted activities no grant links to (co-financing), in identifier order
    data["unlinked"] = sorted(i for (i,) in conn.execute(f"""
        select distinct a.iati_identifier
        from raw.activities as a {_COUNTED.format(t='a', match='k.activity_row = a.source_row')}
        where not exists (select 1 from staging.grants as g
                          inner join staging.grant_activities as ga on ga.grant_key = g.grant_key
                          where ga.iati_identifier = a.iati_identifier)
    """).fetchall())
    data["secrets"] = {row[0] for row in conn.execute(
        """select distinct identifier from (
               select trim(beneficiary_name) as identifier from staging.grants where is_natural_person
               union all
               select beneficiary_siret from staging.grants where is_natural_person)
           where identifier is not null and length(identifier) >= $min_length""",
        {"min_length": MIN_IDENTIFIER_LENGTH},
    ).fetchall()}
    return data


def grant_chunks(conn: duckdb.DuckDBPyConnection, size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """The grants in the file's order, `size` at a time, each with `reference_count` (the grants
    sharing its decision reference) and `first_of_activity` (it is the first grant linking its
    IATI activity: an activity linked by several grants gives its disbursements to the first
    only, as staging.money_flows counts them once). Read on a cursor of its own, so the
    chunk's other queries can run on `conn` meanwhile."""
    cur = conn.cursor()
    try:
        cur.execute(f"""
            select g.grant_key, g.year, g.programme, g.attribuant_id, g.attribuant_nom, g.reference_decision,
                   g.date_convention, g.beneficiary_siret, g.beneficiary_name, g.is_natural_person,
                   g.beneficiary_type, g.purpose, g.amount_eur, ga.iati_identifier,
                   count(*) over (partition by g.reference_decision) as reference_count,
                   ga.iati_identifier is not null
                       and first_value(g.grant_key) over (partition by ga.iati_identifier
                                                          order by {_GRANT_ORDER}) = g.grant_key
                       as first_of_activity
            from staging.grants as g
            left join staging.grant_activities as ga on ga.grant_key = g.grant_key
            order by {_GRANT_ORDER}
        """)
        names = [d[0] for d in cur.description]
        while rows := cur.fetchmany(size):
            yield [dict(zip(names, row)) for row in rows]
    finally:
        cur.close()


def read_payments(conn: duckdb.DuckDBPyConnection, grant_keys: list[str]) -> dict[str, list[dict]]:
    """The region's own payments of these grants (its accounting, docs/money-rules.md
    "Payments"): a grant's disbursements when they pay it; written as type 3 transactions of
    the grant's activity."""
    payments: dict[str, list[dict]] = defaultdict(list)
    for f in _rows(conn, """
        select f.grant_key, '3' as transaction_type, p.payment_date as transaction_date,
               p.payment_date as value_date, f.amount_eur, f.tx_country, f.tx_region,
               f.tx_sector_vocabulary, f.tx_sector_code
        from staging.money_flows as f
        inner join staging.payments as p on f.flow_id = 'payment:' || p.payment_key
        where f.origin = 'accounting' and f.grant_key in (select unnest($keys::varchar[]))
        order by p.payment_date, p.payment_key
    """, {"keys": grant_keys}):
        payments[f["grant_key"]].append(f)
    return payments


def read_activity_data(conn: duckdb.DuckDBPyConnection, identifiers: list[str]) -> dict[str, Any]:
    """What the export writes of these counted IATI activities, grouped by identifier."""
    ids = {"ids": identifiers}
    data: dict[str, Any] = {}
    data["activities"] = {a["iati_identifier"]: a for a in _rows(conn, f"""
        select a.iati_identifier, a.title, a.description, a.activity_status, a.start_date, a.end_date
        from raw.activities as a {_COUNTED.format(t='a', match='k.activity_row = a.source_row')}
        where {_IN.format(t='a')}
    """, ids)}

    flows: dict[str, list[dict]] = defaultdict(list)
    for f in _rows(conn, f"""
        select f.iati_identifier, f.flow_kind, f.year, f.amount_eur, f.tx_country, f.tx_region,
               f.tx_sector_vocabulary, f.tx_sector_code,
               t.transaction_index, t.transaction_type, t.transaction_date, t.value_date,
               t.provider_org_ref, t.receiver_org_ref
        from staging.money_flows as f
        inner join staging.transactions_eur as t
            on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
        where f.origin = 'iati' and not t.rate_missing and {_IN.format(t='f')}
        order by t.transaction_date, t.transaction_index
    """, ids):
        flows[f["iati_identifier"]].append(f)
    data["flows"] = flows

    alpha2 = dict(conn.execute("select alpha3, alpha2 from ref.countries").fetchall())
    region_vocab = {(i, c): v for i, c, v in conn.execute(f"""
        select l.iati_identifier, l.code, min(l.vocabulary) from raw.activity_locations as l
        {_CHILD.format(t='l')} where l.kind = 'region' and {_IN.format(t='l')} group by all
    """, ids).fetchall()}
    unplaced: dict[str, list] = defaultdict(list)
    for i, code in conn.execute(f"""
        select l.iati_identifier, l.code from raw.activity_locations as l {_CHILD.format(t='l')}
        where l.kind = 'country' and not exists (select 1 from ref.countries as c where c.alpha2 = upper(l.code))
            and {_IN.format(t='l')}
        order by l.source_row
    """, ids).fetchall():
        unplaced[i].append(code)
    places: dict[str, list[tuple]] = defaultdict(list)
    for i, kind, code, share in conn.execute(
        "select iati_identifier, location_kind, location_code, share from staging.location_shares as l "
        f"where {_IN.format(t='l')} order by iati_identifier, location_kind, location_code", ids
    ).fetchall():
        if kind == "country":
            places[i].append(("country", alpha2[code], None, share))
        elif kind == "region":
            places[i].append(("region", code, region_vocab.get((i, code)), share))
        else:  # codes the reference does not know: as published, the share split among them
            codes = unplaced.get(i) or [None]
            places[i] += [("country", c, None, share / len(codes)) for c in codes]
    data["places"] = places

    unsectored: dict[str, list] = defaultdict(list)
    for i, vocabulary, code in conn.execute(f"""
        with s as (
            select s.iati_identifier, coalesce(s.vocabulary, '1') as vocabulary, s.code, s.source_row
            from raw.activity_sectors as s {_CHILD.format(t='s')}
            where coalesce(s.vocabulary, '1') in ('1', '2') and {_IN.format(t='s')}
        ),
        chosen as (select iati_identifier, min(vocabulary) as vocabulary from s group by all)
        select s.iati_identifier, s.vocabulary, s.code from s
        semi join chosen as c on c.iati_identifier = s.iati_identifier and c.vocabulary = s.vocabulary
        where not exists (select 1 from ref.dac_categories as k
                          where k.code3 = case when s.vocabulary = '1' then left(s.code, 3) else s.code end)
        order by s.source_row
    """, ids).fetchall():
        unsectored[i].append((vocabulary, code))
    sectors: dict[str, list[tuple]] = defaultdict(list)
    for i, code5, code3, share in conn.execute(
        "select iati_identifier, sector_code, category_code, share from staging.sector_shares as s "
        f"where {_IN.format(t='s')} order by iati_identifier, category_code, sector_code", ids
    ).fetchall():
        if code5 != "unallocated":
            sectors[i].append(("1", code5, share))
        elif code3 != "unallocated":
            sectors[i].append(("2", code3, share))
        else:
            codes = unsectored.get(i) or [("1", None)]
            sectors[i] += [(v, c, share / len(codes)) for v, c in codes]
    data["sectors"] = sectors

    results: dict[str, list[dict]] = defaultdict(list)
    for r in _rows(conn, f"""
        select r.* from raw.results as r {_CHILD.format(t='r')} where {_IN.format(t='r')}
        order by r.iati_identifier, r.result_index, r.indicator_index, r.source_row
    """, ids):
        results[r["iati_identifier"]].append(r)
    data["results"] = results

    orgs: dict[str, list[dict]] = defaultdict(list)
    for o in _rows(conn, f"""
        select p.iati_identifier, p.role, p.ref, p.name, p.org_type
        from raw.participating_orgs as p {_CHILD.format(t='p')} where {_IN.format(t='p')}
        order by p.iati_identifier, p.source_row
    """, ids):
        orgs[o["iati_identifier"]].append(o)
    data["orgs"] = orgs

    return data
