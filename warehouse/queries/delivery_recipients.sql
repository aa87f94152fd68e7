-- Subscribed contacts (one row per address: an address listed by two members gets one copy,
-- attributed to the first member), with this issue's delivery row if there is one.
WITH subscribed AS (
    SELECT c.email, c.member_id, m.name AS member_name, c.language, c.interests
    FROM contacts c
    JOIN members m USING (member_id)
    WHERE c.status = 'subscribed'
    QUALIFY row_number() OVER (PARTITION BY c.email ORDER BY c.member_id) = 1
)
SELECT s.*, d.status AS delivery_status, d.phase, d.smtp_code, d.attempts
FROM subscribed s
LEFT JOIN deliveries d ON d.issue_id = $issue_id AND d.recipient = s.email
ORDER BY s.member_id, s.email;
