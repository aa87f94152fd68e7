-- After an incremental normalise (or before a large increment's writes): the default limit.
RESET memory_limit;
