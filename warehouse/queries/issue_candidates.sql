-- Activities a newsletter for [$period_start, $period_end] may carry, with their organiser.
-- shown_before: the activity is already in a sent issue (news appears once; events may
-- reappear as reminders).
WITH sent_items AS (
    SELECT DISTINCT ii.activity_id
    FROM issue_items ii
    JOIN newsletter_issues ni USING (issue_id)
    WHERE ni.status = 'sent' AND ni.issue_id <> $issue_id
),
dated AS (
    SELECT a.*, coalesce(a.published_at, a.first_seen_at) AS reported_at
    FROM activities a
),
-- every organiser (host first), and whether they span sectors or prefectures
organisers AS (
    SELECT o.activity_id,
           list({'member_id': m.member_id, 'name': m.name, 'sector': m.sector,
                 'prefecture': m.prefecture} ORDER BY o.role DESC, m.member_id) AS organisers,
           count(DISTINCT m.sector) > 1 OR count(DISTINCT m.prefecture) > 1 AS collaboration
    FROM activity_organisers o
    JOIN members m USING (member_id)
    GROUP BY o.activity_id
)
SELECT d.activity_id, d.title, d.summary, d.url, d.category, d.starts_at, d.ends_at,
       d.all_day, d.venue, d.deadline_at, d.published_at, d.contact, d.reported_at,
       d.member_id, m.name AS member_name, m.sector, m.prefecture,
       (s.activity_id IS NOT NULL) AS shown_before,
       o.organisers, coalesce(o.collaboration, false) AS collaboration
FROM dated d
JOIN members m USING (member_id)
LEFT JOIN sent_items s USING (activity_id)
LEFT JOIN organisers o USING (activity_id)
WHERE (d.starts_at IS NOT NULL
       AND CAST(d.starts_at AS DATE) BETWEEN $period_start AND $events_until)
   -- an open call stays listed until its deadline; one without a deadline only in the
   -- period it was reported
   OR (d.category = 'call' AND CAST(d.deadline_at AS DATE) >= $period_start
       AND CAST(d.reported_at AS DATE) <= $period_end)
   OR (CAST(d.reported_at AS DATE) BETWEEN $period_start AND $period_end)
ORDER BY d.starts_at NULLS LAST, d.reported_at, d.activity_id;
