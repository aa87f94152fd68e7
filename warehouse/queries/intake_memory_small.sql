-- While one submission is written (renkei/submissions/write.py, bounded_memory): DuckDB keeps
-- the transaction's rows uncompressed until the commit; beyond this it spills them to its
-- temporary directory instead of growing the process.
SET memory_limit = '96MB';
