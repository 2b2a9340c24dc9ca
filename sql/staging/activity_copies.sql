-- Each IATI activity once: when the same iati-identifier comes more than once (a file
-- dropped twice, a registry download beside its .xml, two exports that overlap, or twice
-- in one file), the copy in the first file by name (then the first in that file) is counted
-- and the others are set aside as `duplicate_activity` in marts.money_reconciliation, never
-- added twice. `activity_row` is the copy's XPath: its places, sectors and transactions are
-- the rows of the same file whose XPath starts with it.
select
    iati_identifier,
    source_file,
    source_row as activity_row,
    row_number() over (partition by iati_identifier order by source_file, source_row) = 1 as counted,
from raw.activities
