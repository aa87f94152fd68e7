-- Mark the given runs `abandoned`: past their stage's timeout and their process gone.
UPDATE runs
SET status = 'abandoned',
    finished_at = $now,
    summary = concat(
        'abandoned: still running ',
        coalesce(list_extract($timeouts, list_position($stages, stage)), $default_timeout),
        ' s after its start (its timeout); the process was killed or died',
        coalesce(' | ' || summary, '')
    )
WHERE list_contains($run_ids, run_id)
RETURNING run_id, stage, started_at;
