-- Hidden activities carried by a sent issue, with the titles and link the archive page may
-- show for them (the current title, and the title the secretariat set for that issue).
SELECT ii.issue_id, ii.activity_id, a.title, e.value AS edited_title,
       CASE WHEN a.url ILIKE 'https://%' THEN a.url END AS url
FROM issue_items ii
JOIN newsletter_issues ni USING (issue_id)
JOIN activity_hidden h USING (activity_id)
LEFT JOIN activities a USING (activity_id)
LEFT JOIN issue_edits e
       ON e.issue_id = ii.issue_id AND e.activity_id = ii.activity_id AND e.action = 'title'
WHERE ni.status = 'sent' AND ni.sent_at IS NOT NULL
ORDER BY ii.issue_id, ii.activity_id;
