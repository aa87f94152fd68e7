-- The item a consultation is about (an activity, or an approved need/seed 'need-<id>'),
-- with its organiser's public fields (none for an anonymous need or seed).
SELECT a.activity_id, a.title, a.category, a.starts_at, m.name AS member_name, m.sector,
       m.prefecture
FROM activities a
JOIN members m USING (member_id)
WHERE a.activity_id = $activity_id
UNION ALL
SELECT 'need-' || n.need_id, n.title, n.kind, NULL,
       CASE WHEN n.anonymous THEN '（匿名の会員機関）' ELSE m.name END,
       CASE WHEN n.anonymous THEN NULL ELSE m.sector END,
       CASE WHEN n.anonymous THEN NULL ELSE m.prefecture END
FROM needs_seeds n
JOIN members m USING (member_id)
WHERE 'need-' || n.need_id = $activity_id AND n.status = 'approved';
