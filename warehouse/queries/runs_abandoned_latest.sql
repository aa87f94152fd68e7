-- Stages whose latest run was abandoned (no run of that stage has finished since).
SELECT run_id, stage, started_at, summary
FROM runs
QUALIFY row_number() OVER (PARTITION BY stage ORDER BY run_id DESC) = 1
    AND status = 'abandoned'
ORDER BY started_at;
