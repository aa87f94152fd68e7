-- The saved reviewers, in the order they were added.
SELECT email, name, added_by, added_at
FROM reviewers
ORDER BY added_at, email;
