-- A registered contact address and its member (any subscription state: a contact who
-- stopped the bulletin may still sign in to report or to resume it).
SELECT c.email, c.member_id, c.status, m.name AS member_name
FROM contacts c
JOIN members m USING (member_id)
WHERE c.email = $email;
