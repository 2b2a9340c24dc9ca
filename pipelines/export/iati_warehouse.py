"""What the IATI export reads from the warehouse, a chunk of grants at a time (at ×100 the
whole programme as Python dicts did not fit in memory): `read_export_head` (the reporting
authority, the natural persons' names and SIRETs the file must not hold, the co-financed
activities' identifiers), then `ExportChunks`: the grants in the file's order, `CHUNK` at a
time, each with what its identifier and money need from the others, then the co-financed
activities, `CHUNK` at a time; and for a chunk its `payments` (the region's payments of each
grant: the `accounting` flows of `staging.money_flows`) and its `activity_data` (for its IATI
activities: the counted activity, its money in euros at the value date, places and sectors
(their shares, the codes the warehouse could not place kept as published), results and
participating organisations).

Linear in the programme's size: each query runs once for the whole file, every row tagged
with the chunk that needs it (`_export_ids`: activity -> chunk), into a temporary table in
chunk order; a chunk then reads its own rows, which DuckDB finds by the tables' min/max of
`_chunk` without scanning the rest. (Asking the warehouse once per chunk scanned every table
per chunk: at ×100, 117 chunks at 0.8 s each, the export 13.9× its ×10 time.)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

import duckdb
import polars as pl

from pipelines.privacy import MIN_IDENTIFIER_LENGTH

CHUNK = 5000  # grants (or co-financed activities) read, built and written at a time

_COUNTED = """
    semi join staging.activity_copies as k
        on k.iati_identifier = {t}.iati_identifier and k.source_file = {t}.source_file
        and {match} and k.counted
"""
_CHILD = _COUNTED.format(t="{t}", match="starts_with({t}.source_row, k.activity_row || '/')")
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


# the grant query's columns, in the order `grant_activity` reads them
_GRANT_COLUMNS = f"""
    g.grant_key, g.year, g.programme, g.attribuant_id, g.attribuant_nom, g.reference_decision,
    g.date_convention, g.beneficiary_siret, g.beneficiary_name, g.is_natural_person,
    g.beneficiary_type, g.purpose, g.amount_eur, ga.iati_identifier,
    count(*) over (partition by g.reference_decision) as reference_count,
    ga.iati_identifier is not null
        and first_value(g.grant_key) over (partition by ga.iati_identifier
                                           order by {_GRANT_ORDER}) = g.grant_key
        as first_of_activity
"""

# A chunk's rows of each kind: the query (`_CHUNKED` joins each row's activity to the chunks that
# write it, `{t}` naming the table whose `iati_identifier` says the activity) and the order its
# rows are read in. Each runs once per export; `ExportChunks` keeps its result by chunk.
_CHUNKED = "inner join _export_ids as c on c.iati_identifier = {t}.iati_identifier"
_QUERIES: dict[str, tuple[str, str]] = {
    "activities": (f"""
        select c.chunk as _chunk, a.iati_identifier, a.title, a.description, a.activity_status, a.start_date,
               a.end_date
        from raw.activities as a {_CHUNKED.format(t='a')}
        {_COUNTED.format(t='a', match='k.activity_row = a.source_row')}
    """, "iati_identifier"),
    "flows": (f"""
        select c.chunk as _chunk, f.iati_identifier, f.flow_kind, f.year, f.amount_eur, f.tx_country, f.tx_region,
               f.tx_sector_vocabulary, f.tx_sector_code,
               t.transaction_index, t.transaction_type, t.transaction_date, t.value_date,
               t.provider_org_ref, t.receiver_org_ref
        from staging.money_flows as f {_CHUNKED.format(t='f')}
        inner join staging.transactions_eur as t
            on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
        where f.origin = 'iati' and not t.rate_missing
    """, "transaction_date, transaction_index"),
    "region_vocab": (f"""
        select c.chunk as _chunk, l.iati_identifier, l.code, min(l.vocabulary) as vocabulary
        from raw.activity_locations as l {_CHUNKED.format(t='l')}
        {_CHILD.format(t='l')} where l.kind = 'region' group by all
    """, "iati_identifier, code"),
    "unplaced": (f"""
        select c.chunk as _chunk, l.iati_identifier, l.code, l.source_row
        from raw.activity_locations as l {_CHUNKED.format(t='l')} {_CHILD.format(t='l')}
        where l.kind = 'country' and not exists (select 1 from ref.countries as r where r.alpha2 = upper(l.code))
    """, "source_row"),
    "places": (f"""
        select c.chunk as _chunk, l.iati_identifier, l.location_kind, l.location_code, l.share
        from staging.location_shares as l {_CHUNKED.format(t='l')}
    """, "iati_identifier, location_kind, location_code"),
    "unsectored": (f"""
        with s as (
            select c.chunk as _chunk, s.iati_identifier, coalesce(s.vocabulary, '1') as vocabulary, s.code,
                   s.source_row
            from raw.activity_sectors as s {_CHUNKED.format(t='s')} {_CHILD.format(t='s')}
            where coalesce(s.vocabulary, '1') in ('1', '2')
        ),
        chosen as (select iati_identifier, min(vocabulary) as vocabulary from s group by all)
        select s._chunk, s.iati_identifier, s.vocabulary, s.code, s.source_row from s
        semi join chosen as c on c.iati_identifier = s.iati_identifier and c.vocabulary = s.vocabulary
        where not exists (select 1 from ref.dac_categories as k
                          where k.code3 = case when s.vocabulary = '1' then left(s.code, 3) else s.code end)
    """, "source_row"),
    "sectors": (f"""
        select c.chunk as _chunk, s.iati_identifier, s.sector_code, s.category_code, s.share
        from staging.sector_shares as s {_CHUNKED.format(t='s')}
    """, "iati_identifier, category_code, sector_code"),
    "results": (f"""
        select c.chunk as _chunk, r.* from raw.results as r {_CHUNKED.format(t='r')} {_CHILD.format(t='r')}
    """, "iati_identifier, result_index, indicator_index, source_row"),
    "orgs": (f"""
        select c.chunk as _chunk, p.iati_identifier, p.role, p.ref, p.name, p.org_type, p.source_row
        from raw.participating_orgs as p {_CHUNKED.format(t='p')} {_CHILD.format(t='p')}
    """, "iati_identifier, source_row"),
    # the region's own payments of the chunk's grants (its accounting, docs/money-rules.md
    # "Payments"): a grant's disbursements when they pay it; written as type 3 transactions
    "payments": ("""
        select c.chunk as _chunk, f.grant_key, '3' as transaction_type, p.payment_date as transaction_date,
               p.payment_date as value_date, f.amount_eur, f.tx_country, f.tx_region,
               f.tx_sector_vocabulary, f.tx_sector_code, p.payment_key
        from staging.money_flows as f
        inner join (select distinct grant_key, pos // $size as chunk from _export_grants) as c
            on c.grant_key = f.grant_key
        inner join staging.payments as p on f.flow_id = 'payment:' || p.payment_key
        where f.origin = 'accounting'
    """, "transaction_date, payment_key"),
}
# the temporary tables an export leaves while it runs (dropped at its end)
_TEMPORARY = ["_export_grants", "_export_ids", *(f"_export_{name}" for name in _QUERIES)]


class ExportChunks:
    """The export's reads, chunk by chunk: the grants in the file's order (chunks 0 .. n - 1,
    `size` grants each), then the co-financed activities `unlinked` (`size` each); for any
    chunk, `payments(chunk)` and `activity_data(chunk)`. Temporary tables on `conn` (dropped by
    `close`): a read-only warehouse is never written."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, unlinked: list[str], size: int = CHUNK):
        self.conn, self.unlinked, self.size = conn, unlinked, size
        conn.execute(f"""
            create or replace temporary table _export_grants as
            select {_GRANT_COLUMNS},
                   row_number() over (order by {_GRANT_ORDER}, ga.iati_identifier nulls last) - 1 as pos
            from staging.grants as g
            left join staging.grant_activities as ga on ga.grant_key = g.grant_key
            order by pos
        """)
        grants = conn.execute("select count(*) from _export_grants").fetchall()[0][0]
        self.grant_chunk_count = -(-grants // size)
        self.alpha2 = dict(conn.execute("select alpha3, alpha2 from ref.countries").fetchall())
        # every activity a chunk writes, with that chunk: the linked ones of its grants, then the
        # co-financed ones (sorted as `unlinked` is: in Python's order)
        ids = pl.DataFrame({"iati_identifier": unlinked,
                            "chunk": [self._unlinked_chunk(i) for i in range(len(unlinked))]},
                           schema={"iati_identifier": pl.String, "chunk": pl.Int64})
        conn.register("_export_unlinked", ids.to_arrow())
        try:
            conn.execute("""
                create or replace temporary table _export_ids as
                select distinct iati_identifier, pos // $size as chunk from _export_grants
                where iati_identifier is not null
                union all
                select iati_identifier, chunk from _export_unlinked
            """, {"size": size})
        finally:
            conn.unregister("_export_unlinked")
        for name, (sql, _) in _QUERIES.items():
            params = {"size": size} if "$size" in sql else None
            conn.execute(f"create or replace temporary table _export_{name} as {sql} order by _chunk", params)

    def close(self) -> None:
        for table in _TEMPORARY:
            self.conn.execute(f"drop table if exists {table}")

    def grant_chunks(self) -> Iterator[list[dict[str, Any]]]:
        """The grants in the file's order, `size` at a time, each with `reference_count` (the
        grants sharing its decision reference) and `first_of_activity` (it is the first grant
        linking its IATI activity: an activity linked by several grants gives its disbursements
        to the first only, as staging.money_flows counts them once)."""
        for start in range(0, self.grant_chunk_count * self.size, self.size):
            # a range of `pos`, the table's order: DuckDB skips the rest by its min/max
            yield _rows(self.conn, "select * exclude (pos) from _export_grants where pos >= $start and pos < $end "
                                   "order by pos", {"start": start, "end": start + self.size})

    def _unlinked_chunk(self, i: int) -> int:
        """The chunk of the `i`-th co-financed activity: after the grants' chunks."""
        return self.grant_chunk_count + i // self.size

    def unlinked_chunks(self) -> Iterator[tuple[int, list[str]]]:
        """The co-financed activities' identifiers, `size` at a time, with their chunk."""
        for start in range(0, len(self.unlinked), self.size):
            yield self._unlinked_chunk(start), self.unlinked[start:start + self.size]

    def _of(self, name: str, chunk: int) -> list[dict[str, Any]]:
        """A chunk's rows of one kind, in that kind's order."""
        return _rows(self.conn, f"select * exclude (_chunk) from _export_{name} where _chunk = $chunk "
                                f"order by {_QUERIES[name][1]}", {"chunk": chunk})

    def _grouped(self, name: str, chunk: int, key: str, drop: str | None = None) -> dict[str, list[dict]]:
        """A chunk's rows of one kind by `key`, in that kind's order (without `drop`, a column
        read only for the order)."""
        grouped: dict[str, list[dict]] = defaultdict(list)
        for row in self._of(name, chunk):
            if drop is not None:
                del row[drop]
            grouped[row[key]].append(row)
        return grouped

    def payments(self, chunk: int) -> dict[str, list[dict]]:
        """The region's own payments of the chunk's grants, by grant."""
        return self._grouped("payments", chunk, "grant_key", drop="payment_key")

    def activity_data(self, chunk: int) -> dict[str, Any]:
        """What the export writes of the chunk's counted IATI activities, grouped by identifier."""
        data: dict[str, Any] = {}
        data["activities"] = {a["iati_identifier"]: a for a in self._of("activities", chunk)}

        data["flows"] = self._grouped("flows", chunk, "iati_identifier")

        alpha2 = self.alpha2
        region_vocab = {(r["iati_identifier"], r["code"]): r["vocabulary"] for r in self._of("region_vocab", chunk)}
        unplaced: dict[str, list] = defaultdict(list)
        for r in self._of("unplaced", chunk):
            unplaced[r["iati_identifier"]].append(r["code"])
        places: dict[str, list[tuple]] = defaultdict(list)
        for r in self._of("places", chunk):
            i, kind, code, share = r["iati_identifier"], r["location_kind"], r["location_code"], r["share"]
            if kind == "country":
                places[i].append(("country", alpha2[code], None, share))
            elif kind == "region":
                places[i].append(("region", code, region_vocab.get((i, code)), share))
            else:  # codes the reference does not know: as published, the share split among them
                codes = unplaced.get(i) or [None]
                places[i] += [("country", c, None, share / len(codes)) for c in codes]
        data["places"] = places

        unsectored: dict[str, list] = defaultdict(list)
        for r in self._of("unsectored", chunk):
            unsectored[r["iati_identifier"]].append((r["vocabulary"], r["code"]))
        sectors: dict[str, list[tuple]] = defaultdict(list)
        for r in self._of("sectors", chunk):
            i, code5, code3, share = r["iati_identifier"], r["sector_code"], r["category_code"], r["share"]
            if code5 != "unallocated":
                sectors[i].append(("1", code5, share))
            elif code3 != "unallocated":
                sectors[i].append(("2", code3, share))
            else:
                codes = unsectored.get(i) or [("1", None)]
                sectors[i] += [(v, c, share / len(codes)) for v, c in codes]
        data["sectors"] = sectors

        data["results"] = self._grouped("results", chunk, "iati_identifier")
        data["orgs"] = self._grouped("orgs", chunk, "iati_identifier", drop="source_row")
        return data
