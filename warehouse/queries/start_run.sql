INSERT INTO runs (stage, started_at, status) VALUES ($stage, $now, 'running') RETURNING run_id;
