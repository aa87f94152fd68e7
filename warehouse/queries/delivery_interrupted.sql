-- Rows a killed run left behind: the SMTP transaction started, the outcome is not recorded.
-- smtp_code / smtp_reply: the server's last words before the final "." (its 354), if any.
SELECT recipient, message_id, phase, transport, smtp_code, smtp_reply
FROM deliveries
WHERE issue_id = $issue_id AND status = 'sending';
