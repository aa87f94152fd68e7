SELECT c.email, c.member_id, m.name AS member_name, c.status, c.language, c.interests,
       c.consent_source, c.updated_at
FROM contacts c
LEFT JOIN members m USING (member_id)
WHERE $member_id IS NULL OR c.member_id = $member_id
ORDER BY c.member_id, c.email;
