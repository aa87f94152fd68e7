-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- The open dataset: every activity with its organiser's public fields. No e-mail address is
-- ever published (a staff address may sit in a summary or in the enquiry line): each one in
-- the free-text columns is replaced by （メールアドレス省略）.
-- fee_text and capacity_text (last) fill 料金(基本) and 定員 of events.csv only
-- (renkei.dataset.tables publishes the columns before them).
SELECT a.activity_id, a.member_id, m.name AS member_name, m.sector, m.prefecture,
       a.category, regexp_replace(a.title, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS title, regexp_replace(a.summary, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS summary, CASE WHEN a.url ILIKE 'mailto:%' THEN NULL ELSE a.url END AS url, a.starts_at, a.ends_at, a.all_day,
       regexp_replace(a.venue, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS venue, a.deadline_at, a.published_at, regexp_replace(a.contact, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS contact, a.source, a.first_seen_at,
       a.updated_at,
       regexp_replace(a.fee_text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS fee_text,
       regexp_replace(a.capacity_text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS capacity_text
FROM activities a
JOIN members m USING (member_id)
WHERE a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
ORDER BY coalesce(a.starts_at, a.published_at, a.first_seen_at), a.activity_id;
