-- One normalise: what it processed (the run summary's figures).
INSERT INTO normalize_runs VALUES ($run_at, $mode, $fingerprint, $staged_rows, $gone_rows,
                                   $activities_touched, $seconds);
