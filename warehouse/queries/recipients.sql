-- Subscribed contacts, one row per address (an address listed by two members gets one copy).
SELECT c.email, c.member_id, m.name AS member_name
FROM contacts c
JOIN members m USING (member_id)
WHERE c.status = 'subscribed'
QUALIFY row_number() OVER (PARTITION BY c.email ORDER BY c.member_id) = 1
ORDER BY c.member_id, c.email;
