-- Full normalise and rebuild: DuckDB's buffer (the sorted staging read a part at a time,
-- the writes of a transaction) stays near 512 MB; operators spill beyond it to the
-- database's temporary directory. RESET afterwards (normalize_memory_reset).
SET memory_limit = '512MB';
