UPDATE deliveries SET status = $status, sent_at = $sent_at, smtp_code = $code,
    smtp_reply = $reply, error = $error
WHERE issue_id = $issue_id AND recipient = $recipient;
