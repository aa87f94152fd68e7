-- Earlier current submissions (accepted, or rejected whole) of a member for a period, with
-- their staged (accepted) rows, whose identities the caller recomputes:
-- the candidates a corrected resubmission replaces.
SELECT s.sha256, s.file_name, s.received_at, i.member_id, i.position, i.title, i.starts_text,
       i.ends_text, i.time_text, i.venue, i.summary, i.url, i.category_text, i.deadline_text,
       i.contact
FROM submissions s
LEFT JOIN stg_items i
       ON i.raw_sha256 = s.sha256 AND i.member_id = s.member_id
WHERE s.member_id = $member_id AND s.period = $period AND s.status IN ('accepted', 'rejected')
  AND s.sha256 <> $sha256
ORDER BY s.received_at, s.sha256, i.position;
