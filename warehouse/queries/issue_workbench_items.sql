-- Where the items of a stored draft came from, and those the editor dropped from it:
-- source 'feed' (a member's feed; source_ref is the feed URL) or a report ('csv': a
-- member's submitted file; source_ref is its file name). section: where the draft shows
-- it; NULL for a dropped item. An activity withdrawn since the compile has no source.
SELECT ii.activity_id, ii.section, a.source, a.source_ref
FROM issue_items ii
LEFT JOIN activities a USING (activity_id)
WHERE ii.issue_id = $issue_id
UNION ALL
SELECT e.activity_id, NULL AS section, a.source, a.source_ref
FROM issue_edits e
JOIN activities a USING (activity_id)
WHERE e.issue_id = $issue_id AND e.action = 'drop'
  AND e.activity_id NOT IN (SELECT activity_id FROM issue_items WHERE issue_id = $issue_id)
ORDER BY 1;
