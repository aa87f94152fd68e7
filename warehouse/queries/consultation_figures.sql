-- Per quarter (of the request, JST) and sector pair (requester × organiser): how many
-- requests, introductions, meetings and collaborations. Counts only, no names.
WITH c AS (
    SELECT c.consultation_id,
           year(c.created_at) || '年' || CASE quarter(c.created_at)
               WHEN 1 THEN '1〜3月' WHEN 2 THEN '4〜6月' WHEN 3 THEN '7〜9月'
               ELSE '10〜12月' END AS quarter,
           year(c.created_at) * 10 + quarter(c.created_at) AS quarter_key,
           coalesce(rm.sector, '?') AS requester_sector,
           coalesce(om.sector, '?') AS organiser_sector,
           c.status, c.outcome
    FROM consultations c
    LEFT JOIN activities a USING (activity_id)
    LEFT JOIN members om ON om.member_id = a.member_id
    LEFT JOIN members rm ON rm.member_id = c.requester_member
)
SELECT quarter, requester_sector, organiser_sector,
       count(*) AS requests,
       count(*) FILTER (WHERE status = 'introduced') AS introductions,
       count(*) FILTER (WHERE outcome IN ('面談・打合せ', '共同研究・事業化に進展')) AS meetings,
       count(*) FILTER (WHERE outcome = '共同研究・事業化に進展') AS collaborations
FROM c
GROUP BY quarter_key, quarter, requester_sector, organiser_sector
ORDER BY quarter_key, requester_sector, organiser_sector;
