SELECT issue_id, recipient FROM deliveries WHERE message_id = $message_id LIMIT 1;
