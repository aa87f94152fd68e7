-- Full normalise and rebuild, while staging is read (sorted, a part at a time) and the
-- activities are built: DuckDB's sort keeps what does not fit in 192 MB in the temporary
-- directory instead of beside the parts being built (1,000,000 staged rows: 180 MB
-- instead of 470 MB, as fast), and gives back what it freed (jemalloc's background
-- thread). normalize_memory_full follows for the writes.
SET memory_limit = '192MB';
SET allocator_background_threads = true;
