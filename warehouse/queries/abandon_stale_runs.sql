-- Runs still `running` after their stage's timeout: the process died (killed, out of memory,
-- machine down) without recording an outcome. Marked `abandoned`, returned for the caller.
-- $stages / $timeouts: parallel lists (seconds); $default_timeout for any other stage.
UPDATE runs
SET status = 'abandoned',
    finished_at = $now,
    summary = concat(
        'abandoned: still running ',
        coalesce(list_extract($timeouts, list_position($stages, stage)), $default_timeout),
        ' s after its start (its timeout); the process was killed or died',
        coalesce(' | ' || summary, '')
    )
WHERE status = 'running'
  AND started_at + to_seconds(
        coalesce(list_extract($timeouts, list_position($stages, stage)), $default_timeout)
      ) < $now
RETURNING run_id, stage, started_at;
