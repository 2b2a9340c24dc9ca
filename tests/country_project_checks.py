"""What tests/test_country_project_pages*.py share: the country with the most committed money that also
has IATI results, read from the snapshot with SQL written here.
"""

from __future__ import annotations

from snapshot import sql


def _top_country(serving) -> str:
    """The country with the most committed money that also has IATI results."""
    return sql(serving, "select f.location_code from funding as f where f.location_kind = 'country' "
                         "and f.location_code in (select location_code from outcomes) "
                         "group by 1 order by sum(f.committed_eur) desc limit 1")[0][0]
