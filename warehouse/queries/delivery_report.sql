SELECT recipient, member_id, status, smtp_code, coalesce(error, smtp_reply) AS detail,
       attempts, message_id, sent_at
FROM deliveries
WHERE issue_id = $issue_id
ORDER BY status, member_id, recipient;
