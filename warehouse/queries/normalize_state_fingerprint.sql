-- Incremental normalise: the fingerprint of the latest run (null: its state is not kept).
SELECT fingerprint FROM normalize_runs ORDER BY run_at DESC, mode LIMIT 1;
