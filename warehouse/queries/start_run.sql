INSERT INTO runs (stage, started_at, status, pid, host)
VALUES ($stage, $now, 'running', $pid, $host)
RETURNING run_id;
