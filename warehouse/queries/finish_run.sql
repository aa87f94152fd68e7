UPDATE runs SET finished_at = $now, status = $status, summary = $summary,
    summary_ja = nullif($summary_ja, '')
WHERE run_id = $run_id;
