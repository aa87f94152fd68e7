-- Members none of whose contacts receives the bulletin any more, at least one of them
-- because of a bounce or complaint: someone must ask them for a new address.
SELECT m.member_id, m.name, count(*) AS contacts,
    string_agg(c.email || ' (' || coalesce(c.suppressed_reason, c.consent_source) || ')', '; '
        ORDER BY c.email) AS why
FROM members m
JOIN contacts c USING (member_id)
GROUP BY m.member_id, m.name
HAVING count(*) FILTER (WHERE c.status = 'subscribed') = 0
   AND count(*) FILTER (WHERE c.status = 'bounced' OR c.suppressed_reason IS NOT NULL) > 0
ORDER BY m.member_id;
