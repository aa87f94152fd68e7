-- After a normalise (or before a large increment's writes): DuckDB's default limit, and no
-- background thread giving memory back (normalize_memory_read starts it for the full read;
-- a console or flow process that normalised goes on as any other).
RESET memory_limit;
RESET allocator_background_threads;
