-- One submitted file by its full hash (the console's receipt page), with the member's name.
SELECT s.*, m.name AS member_name
FROM submissions s
LEFT JOIN members m USING (member_id)
WHERE s.sha256 = $sha256
ORDER BY s.received_at DESC;
