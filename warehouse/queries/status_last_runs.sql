SELECT stage, started_at, finished_at, status, summary, summary_ja
FROM runs
QUALIFY row_number() OVER (PARTITION BY stage ORDER BY run_id DESC) = 1
ORDER BY started_at;
