-- Runs still `running` after their stage's timeout, with the process that started them.
-- $stages / $timeouts: parallel lists (seconds); $default_timeout for any other stage.
SELECT run_id, stage, started_at, pid, host
FROM runs
WHERE status = 'running'
  AND started_at + to_seconds(
        coalesce(list_extract($timeouts, list_position($stages, stage)), $default_timeout)
      ) < $now
ORDER BY run_id;
