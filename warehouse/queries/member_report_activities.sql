-- The activities published from one member's reports (source csv, by file name), with
-- whether the secretariat hid one and why.
SELECT a.activity_id, a.source_ref AS file_name, a.title, a.category, a.starts_at,
       a.deadline_at, (h.activity_id IS NOT NULL) AS hidden, h.reason AS hidden_reason
FROM activities a
LEFT JOIN activity_hidden h USING (activity_id)
WHERE a.member_id = $member_id AND a.source = 'csv'
ORDER BY a.source_ref, a.starts_at NULLS LAST, a.title;
