-- The open dataset: every activity with its organiser's public fields (never contacts
-- of members' staff: `contact` is the public enquiry line the member published).
SELECT a.activity_id, a.member_id, m.name AS member_name, m.sector, m.prefecture,
       a.category, a.title, a.summary, a.url, a.starts_at, a.ends_at, a.all_day,
       a.venue, a.deadline_at, a.published_at, a.contact, a.source, a.first_seen_at,
       a.updated_at
FROM activities a
JOIN members m USING (member_id)
ORDER BY coalesce(a.starts_at, a.published_at, a.first_seen_at), a.activity_id;
