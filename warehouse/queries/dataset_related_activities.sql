-- The open dataset's related_activities: pairs whose both sides are published (not hidden,
-- not withdrawn since the last normalise), with both members' names.
SELECT r.activity_id, r.related_id, r.rank, r.similarity,
       r.sector, r.related_sector, m.name AS member_name, rm.name AS related_member_name
FROM related_activities r
JOIN activities a ON a.activity_id = r.activity_id
JOIN activities b ON b.activity_id = r.related_id
JOIN members m ON m.member_id = a.member_id
JOIN members rm ON rm.member_id = b.member_id
WHERE r.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
  AND r.related_id NOT IN (SELECT activity_id FROM activity_hidden)
ORDER BY r.activity_id, r.rank;
