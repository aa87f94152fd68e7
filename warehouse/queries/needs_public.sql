-- Approved needs and seeds still open on $on, as published: the poster's member only when
-- not anonymous (never the contact address).
SELECT 'need-' || n.need_id AS need_id, n.kind, n.title, n.body, n.expires_on,
       CASE WHEN n.anonymous THEN NULL ELSE m.name END AS member_name,
       CASE WHEN n.anonymous THEN NULL ELSE m.sector END AS sector,
       CASE WHEN n.anonymous THEN NULL ELSE m.prefecture END AS prefecture
FROM needs_seeds n
JOIN members m USING (member_id)
WHERE n.status = 'approved' AND n.expires_on >= $on
ORDER BY n.kind, n.need_id;
