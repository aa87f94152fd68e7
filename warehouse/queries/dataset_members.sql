-- The members table of the open dataset: public fields only (never contact addresses).
SELECT m.member_id, m.name,
       m.sector,
       CASE m.sector WHEN 'industry' THEN '産' WHEN 'academia' THEN '学'
                     WHEN 'finance' THEN '金' WHEN 'government' THEN '官' END AS sector_ja,
       m.prefecture, m.scope, m.feed_url
FROM members m
ORDER BY m.member_id;
