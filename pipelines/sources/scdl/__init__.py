"""The SCDL grants reader: files of the `subventions` dataset of the Socle Commun des Données
Locales (SCDL 2.x, and the 2018 DataSubvention and older etalab headers it replaced), the
grants a French local authority publishes — https://schema.data.gouv.fr/scdl/subventions/.
CSV of any separator and encoding (decoded by `pipelines.sources.text`), xlsx, xls and ods
(checked against the limits first: `workbook_guard`), any file name. `read_grants` (in
`grants`) is the entry point, `read_grants.batches` (`grant_batches`) its streaming form;
`split` turns a file into records (a CSV in blocks of whole records: `csv_stream`), `header`
finds and names its columns (`headers.csv`), `values` parses one cell, `checks` and
`validate` apply the rules, `totals` finds the total lines across blocks.
"""

from pipelines.sources.scdl.grants import GRANT_COLUMNS, GRANT_SCHEMA, read_grants

__all__ = ["GRANT_COLUMNS", "GRANT_SCHEMA", "read_grants"]
