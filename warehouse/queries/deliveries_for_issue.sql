SELECT recipient, status, message_id, sent_at FROM deliveries WHERE issue_id = $issue_id;
