-- `renkei hidden`: every hidden activity, oldest first, with its title and member when the
-- activity still exists (a withdrawn one may be hidden too: it may sit in a sent issue).
SELECT h.activity_id, h.hidden_by, h.hidden_at, h.reason, a.title, m.name AS member_name
FROM activity_hidden h
LEFT JOIN activities a USING (activity_id)
LEFT JOIN members m ON m.member_id = a.member_id
ORDER BY h.hidden_at, h.activity_id;
