-- Accepted + rejected = read, for every file of every source.
select source, source_file, rows_read, rows_accepted, rows_rejected
from quality.file_loads
where rows_read <> rows_accepted + rows_rejected
