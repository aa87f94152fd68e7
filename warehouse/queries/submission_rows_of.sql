-- The rows of one submission with their verdicts, in file order.
SELECT * FROM submission_rows
WHERE sha256 = $sha256 AND member_id = $member_id
ORDER BY position;
