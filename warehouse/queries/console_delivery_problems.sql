-- Issues with deliveries that did not reach the server (failed) or whose outcome is not
-- known (unknown), for the console's dashboard.
SELECT issue_id,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'unknown') AS unknown,
       count(*) FILTER (WHERE status = 'sent') AS sent
FROM deliveries
GROUP BY issue_id
HAVING count(*) FILTER (WHERE status IN ('failed', 'unknown')) > 0
ORDER BY issue_id DESC;
