-- The deliveries of one issue to send again (`renkei send --resend-unknown/--resend-failed`),
-- with the same columns as delivery_recipients: the `unknown` ones ($unknown) of subscribed
-- contacts, and the `failed` ones ($failed) of contacts that did not unsubscribe (a 5xx to
-- RCPT marks the contact bounced; the admin who resends has checked the address). An
-- unsubscribed contact never gets it again.
SELECT c.email, c.member_id, m.name AS member_name, c.language, c.interests,
       d.status AS delivery_status, d.phase, d.smtp_code, d.attempts
FROM deliveries d
JOIN contacts c ON c.email = d.recipient
LEFT JOIN members m ON m.member_id = c.member_id
WHERE d.issue_id = $issue_id
  AND ((d.status = 'unknown' AND $unknown AND c.status = 'subscribed')
       OR (d.status = 'failed' AND $failed AND c.status IN ('subscribed', 'bounced')))
ORDER BY c.member_id, c.email;
