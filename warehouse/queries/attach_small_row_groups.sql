-- A writer that inserts many rows at once (warehouse.connection.open_warehouse's
-- small_row_groups): the file attached with row groups of 16,384 rows, so DuckDB compresses
-- and writes each full group while the insert runs, instead of holding the transaction's
-- rows uncompressed until the commit (a 100,000-row submission: peak RSS 418 -> ~340 MB,
-- and faster, the writing overlapping the judging; bench/csv_intake.py). A connection
-- opened the usual way reads and writes the same file. (open_warehouse then USEs it.)
ATTACH $path AS warehouse (ROW_GROUP_SIZE 16384);
