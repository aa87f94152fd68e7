-- Contacts the bulletin skips because of a bounce or a complaint, with why and since when
-- (a 5xx at RCPT during a send marks 'bounced' too, its reply in consent_source).
SELECT c.email, c.member_id, m.name AS member_name,
    CASE WHEN c.status = 'bounced' THEN 'bounced' ELSE 'complaint' END AS suppression,
    coalesce(c.suppressed_reason, c.consent_source) AS reason,
    coalesce(c.suppressed_at, c.updated_at) AS since
FROM contacts c
LEFT JOIN members m USING (member_id)
WHERE c.status = 'bounced' OR (c.status = 'unsubscribed' AND c.suppressed_reason IS NOT NULL)
ORDER BY c.member_id, c.email;
