-- A bounce that names only an address: the latest issue sent to a known contact.
SELECT c.email, d.issue_id
FROM contacts c
LEFT JOIN deliveries d ON d.recipient = c.email
WHERE c.email = $email
ORDER BY d.attempted_at DESC NULLS LAST
LIMIT 1;
