-- After a submission is written: the default limit.
RESET memory_limit;
