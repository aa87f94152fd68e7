-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- Events ending on or after $today (Japan date), soonest first, capped at $limit: the calendar.
-- An event is what the bulletin's events section takes (renkei.newsletter.selection.place):
-- any dated activity but a call (a call's dates are its programme; its deadline matters).
-- So a dated 見学会 classed success_case, a course (training) or a 報告会 (news) is in it.
SELECT a.activity_id, m.name AS member_name, regexp_replace(a.title, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS title,
       regexp_replace(a.summary, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS summary, CASE WHEN a.url ILIKE 'mailto:%' THEN NULL ELSE a.url END AS url, a.starts_at,
       a.ends_at, a.all_day, regexp_replace(a.venue, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS venue, a.updated_at
FROM activities a
JOIN members m USING (member_id)
WHERE a.category <> 'call'
  AND a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
  AND a.starts_at IS NOT NULL
  AND (coalesce(a.ends_at, a.starts_at) AT TIME ZONE 'Asia/Tokyo')::DATE >= $today
ORDER BY a.starts_at, a.activity_id
LIMIT $limit;
