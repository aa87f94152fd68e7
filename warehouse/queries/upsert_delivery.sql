INSERT INTO deliveries
    (issue_id, recipient, member_id, status, message_id, transport, attempted_at, sent_at, error)
VALUES ($issue_id, $recipient, $member_id, $status, $message_id, $transport, $at, $sent_at, $error)
ON CONFLICT (issue_id, recipient) DO UPDATE SET status = excluded.status,
    attempted_at = excluded.attempted_at, sent_at = excluded.sent_at, error = excluded.error,
    transport = excluded.transport;
