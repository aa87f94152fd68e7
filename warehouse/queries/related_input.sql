-- What related activities are computed from: every activity with its member's sector and
-- prefecture (transforms.related.RELATED_INPUT_SCHEMA). Hidden activities are left out.
SELECT a.activity_id, a.member_id, m.sector, m.prefecture, a.title, a.summary
FROM activities a
JOIN members m USING (member_id)
WHERE a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
ORDER BY a.activity_id;
