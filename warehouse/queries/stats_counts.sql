-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- Activity counts by sector, prefecture, category and month (Japan time), one table.
WITH base AS (
    SELECT m.sector, m.prefecture, a.category,
           strftime(coalesce(a.starts_at, a.published_at, a.first_seen_at)
                    AT TIME ZONE 'Asia/Tokyo', '%Y-%m') AS month
    FROM activities a
    JOIN members m USING (member_id)
    WHERE a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
)
SELECT 'sector' AS dimension, sector AS value, count(*) AS activities FROM base GROUP BY sector
UNION ALL
SELECT 'prefecture', prefecture, count(*) FROM base GROUP BY prefecture
UNION ALL
SELECT 'category', category, count(*) FROM base GROUP BY category
UNION ALL
SELECT 'month', month, count(*) FROM base GROUP BY month
ORDER BY dimension, value;
