-- The rows of a submitted file that were not accepted (Excel row = position + 2).
SELECT position + 2 AS row_number, title, starts_on, reason
FROM submission_rows
WHERE sha256 = $sha256 AND member_id = $member_id AND NOT accepted
ORDER BY position;
