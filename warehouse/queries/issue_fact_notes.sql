-- The notes on facts read from free text (fact_notes, migration 013) of the activities in an
-- issue, for the reviewer's preview page (never the mail).
SELECT ii.section, a.activity_id, a.title, a.fact_notes
FROM issue_items ii
JOIN activities a USING (activity_id)
WHERE ii.issue_id = $issue_id AND a.fact_notes IS NOT NULL AND trim(a.fact_notes) <> ''
ORDER BY ii.section, a.activity_id;
