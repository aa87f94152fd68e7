-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- Activities organised by members from more than one sector or prefecture, per month.
WITH per_activity AS (
    SELECT o.activity_id,
           count(DISTINCT m.sector) AS sectors,
           count(DISTINCT m.prefecture) AS prefectures
    FROM activity_organisers o
    JOIN members m USING (member_id)
    GROUP BY o.activity_id
),
collab AS (
    SELECT strftime(coalesce(a.starts_at, a.published_at, a.first_seen_at)
                    AT TIME ZONE 'Asia/Tokyo', '%Y-%m') AS month,
           p.sectors > 1 AS cross_sector,
           p.prefectures > 1 AS cross_prefecture
    FROM per_activity p
    JOIN activities a USING (activity_id)
    WHERE (p.sectors > 1 OR p.prefectures > 1)
      AND a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
)
SELECT month,
       count(*) AS collaborations,
       count(*) FILTER (WHERE cross_sector) AS cross_sector,
       count(*) FILTER (WHERE cross_prefecture) AS cross_prefecture
FROM collab
GROUP BY month
ORDER BY month;
