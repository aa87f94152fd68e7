-- Earlier current submissions (accepted, or rejected whole) of a member for a period, with
-- the activities they hold:
-- the candidates a corrected resubmission replaces.
SELECT s.sha256, s.file_name, s.received_at, r.activity_id, r.content_sha256, r.title,
       r.starts_on
FROM submissions s
LEFT JOIN submission_rows r
       ON r.sha256 = s.sha256 AND r.member_id = s.member_id AND r.accepted
WHERE s.member_id = $member_id AND s.period = $period AND s.status IN ('accepted', 'rejected')
  AND s.sha256 <> $sha256
ORDER BY s.received_at, s.sha256, r.position;
