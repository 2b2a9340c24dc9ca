-- Each IATI activity once: when the same iati-identifier comes in several files (a file
-- dropped twice, a registry download beside its .xml, two exports that overlap), the copy
-- in the first file by name is counted and the others are set aside as
-- `duplicate_activity` in marts.money_reconciliation, never added twice.
select
    iati_identifier,
    source_file,
    row_number() over (partition by iati_identifier order by source_file) = 1 as counted,
from (select distinct iati_identifier, source_file from raw.activities)
