-- Delivery states from the send journal, latest per recipient (see renkei/send_journal.py).
INSERT INTO deliveries BY NAME
SELECT issue_id, recipient, member_id, status, message_id, transport, attempted_at, sent_at,
       error, phase, smtp_code, smtp_reply, attempts
FROM batch
ON CONFLICT (issue_id, recipient) DO UPDATE SET member_id = excluded.member_id,
    status = excluded.status, message_id = excluded.message_id,
    transport = excluded.transport, attempted_at = excluded.attempted_at,
    sent_at = excluded.sent_at, error = excluded.error, phase = excluded.phase,
    smtp_code = excluded.smtp_code, smtp_reply = excluded.smtp_reply,
    attempts = excluded.attempts;
