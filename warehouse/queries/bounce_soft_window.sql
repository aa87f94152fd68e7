-- Of the contact's last $window deliveries, how many bounced (soft or hard).
WITH last AS (
    SELECT issue_id FROM deliveries WHERE recipient = $email
    ORDER BY attempted_at DESC LIMIT $window
)
SELECT count(*) AS bounced FROM last
WHERE EXISTS (
    SELECT 1 FROM bounce_events b
    WHERE b.issue_id = last.issue_id AND b.recipient = $email AND b.kind IN ('soft', 'hard')
);
