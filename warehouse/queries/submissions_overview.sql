-- A report month's submissions per member: each current file of the period (not replaced
-- by a correction), with how many earlier files it replaced, and one row with no file for
-- each member without a feed who sent nothing (those report by file or not at all).
WITH current_files AS (
    SELECT * FROM submissions WHERE period = $period AND status <> 'superseded'
),
replaced AS (
    SELECT superseded_by AS sha256, member_id, count(*) AS n
    FROM submissions
    WHERE period = $period AND superseded_by IS NOT NULL
    GROUP BY ALL
)
SELECT m.member_id, m.name, c.file_name, c.received_at, c.rows_accepted, c.rows_rejected,
       c.status, c.error, coalesce(r.n, 0) AS replaced
FROM members m
LEFT JOIN current_files c ON c.member_id = m.member_id
LEFT JOIN replaced r ON r.sha256 = c.sha256 AND r.member_id = c.member_id
WHERE c.sha256 IS NOT NULL OR m.feed_url IS NULL
ORDER BY m.member_id, c.received_at;
