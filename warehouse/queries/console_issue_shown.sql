-- The items an issue's stored draft carries, with their titles (the console names what an
-- edit pushed out of the draft or brought into it).
SELECT ii.activity_id, a.title
FROM issue_items ii
JOIN activities a USING (activity_id)
WHERE ii.issue_id = $issue_id;
