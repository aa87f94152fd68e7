-- The send date the draft's selection was made for (shown on the preview page).
UPDATE newsletter_issues SET selected_as_of = $as_of WHERE issue_id = $issue_id;
