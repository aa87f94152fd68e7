-- Activities an edit may name: those the draft shows, and those its period could show.
SELECT activity_id FROM issue_items WHERE issue_id = $issue_id
UNION
SELECT activity_id FROM activities;
