-- Every delivery of one issue; for an `unknown` the time of the attempt, the server's last
-- words (smtp_code, smtp_reply) and what happened to the connection (error).
SELECT recipient, member_id, status, smtp_code, coalesce(error, smtp_reply) AS detail,
       attempts, message_id, sent_at, attempted_at, smtp_reply, error
FROM deliveries
WHERE issue_id = $issue_id
ORDER BY status, member_id, recipient;
