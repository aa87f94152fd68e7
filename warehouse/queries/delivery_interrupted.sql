-- Rows a killed run left behind: the SMTP transaction started, the outcome is not recorded.
SELECT recipient, message_id, phase, transport
FROM deliveries
WHERE issue_id = $issue_id AND status = 'sending';
