-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- Per member: activities in the period [$period_start, $period_end] (Japan dates), the
-- last report, and whether nothing has come for 90 days before $as_of. Shown neutrally.
WITH last AS (
    SELECT member_id,
           count(*) AS activities_total,
           count(*) FILTER (
               WHERE (first_seen_at AT TIME ZONE 'Asia/Tokyo')::DATE
                     BETWEEN $period_start AND $period_end) AS activities_in_period,
           max(first_seen_at) AS last_reported_at
    FROM activities
    WHERE activity_id NOT IN (SELECT activity_id FROM activity_hidden)
    GROUP BY member_id
)
SELECT m.member_id, m.name, m.sector, m.prefecture,
       coalesce(l.activities_total, 0) AS activities_total,
       coalesce(l.activities_in_period, 0) AS activities_in_period,
       strftime(l.last_reported_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d') AS last_reported_on,
       coalesce(l.activities_in_period, 0) > 0 AS reported_in_period,
       l.last_reported_at IS NULL
           OR l.last_reported_at < $as_of - INTERVAL 90 DAY AS quiet_90_days
FROM members m
LEFT JOIN last l USING (member_id)
ORDER BY m.member_id;
