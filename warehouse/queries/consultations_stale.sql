-- Requests with no outcome beyond the introduction, untouched for longer than $before.
SELECT c.consultation_id, c.created_at, c.updated_at, c.status, c.outcome, c.purpose,
       a.title, rm.name AS requester_member_name
FROM consultations c
LEFT JOIN activities a USING (activity_id)
LEFT JOIN members rm ON rm.member_id = c.requester_member
WHERE c.status <> 'declined'
  AND (c.outcome IS NULL OR c.outcome = '紹介済')
  AND c.updated_at < $before
ORDER BY c.updated_at;
