-- The staged (accepted) rows of a member's other accepted submissions (not the given files
-- being replaced): the activities they still hold, once the caller recomputes their ids.
SELECT i.*
FROM stg_items i
JOIN submissions s ON s.sha256 = i.raw_sha256 AND s.member_id = i.member_id
WHERE i.member_id = $member_id AND s.status = 'accepted'
  AND NOT list_contains($replaced, s.sha256)
ORDER BY s.received_at, s.sha256, i.position;
