-- One submitted file of one member (a member sees only its own files).
SELECT s.*, m.name AS member_name
FROM submissions s
JOIN members m USING (member_id)
WHERE s.sha256 = $sha256 AND s.member_id = $member_id;
