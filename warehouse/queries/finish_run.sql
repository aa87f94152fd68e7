UPDATE runs SET finished_at = $now, status = $status, summary = $summary WHERE run_id = $run_id;
