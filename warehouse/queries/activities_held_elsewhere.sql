-- Activity ids a member's other accepted submissions still hold (not withdrawn by a
-- replacement of the given files).
SELECT DISTINCT r.activity_id
FROM submission_rows r
JOIN submissions s ON s.sha256 = r.sha256 AND s.member_id = r.member_id
WHERE r.member_id = $member_id AND r.accepted AND s.status = 'accepted'
  AND NOT list_contains($replaced, s.sha256);
