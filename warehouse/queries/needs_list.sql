-- Needs and seeds for the secretariat (pending first) or one member's own.
SELECT n.*, m.name AS member_name, m.sector, m.prefecture
FROM needs_seeds n
JOIN members m USING (member_id)
WHERE ($member_id IS NULL OR n.member_id = $member_id)
ORDER BY n.status <> 'pending', n.created_at DESC;
