-- Normalise (full or incremental), step 1 of 2 (then activities_insert_new; both run by
-- renkei.normalize.activities.write_activities): the activities already stored
-- whose computed row differs. Unchanged rows are not rewritten (a re-run writes nothing);
-- first_seen_at keeps the earlier of the two; updated_at moves only when content_sha256
-- changes. ``batch`` is read once.
UPDATE activities AS a SET
    member_id = b.member_id, source = b.source, source_ref = b.source_ref,
    stage_id = b.stage_id, title = b.title, title_key = b.title_key, summary = b.summary,
    url = b.url, category = b.category, category_rule = b.category_rule,
    guideline = b.guideline, guideline_rule = b.guideline_rule, starts_at = b.starts_at,
    ends_at = b.ends_at, all_day = b.all_day, published_at = b.published_at,
    deadline_at = b.deadline_at, venue = b.venue, contact = b.contact,
    date_note = b.date_note, content_sha256 = b.content_sha256, online = b.online,
    fee_text = b.fee_text, capacity_text = b.capacity_text, audience_text = b.audience_text,
    fact_notes = b.fact_notes, schedule_text = b.schedule_text,
    first_seen_at = least(a.first_seen_at, b.first_seen_at),
    updated_at = CASE WHEN a.content_sha256 = b.content_sha256
                      THEN a.updated_at ELSE $now END
FROM batch AS b
WHERE a.activity_id = b.activity_id
  AND (b.first_seen_at < a.first_seen_at
    OR (a.member_id, a.source, a.source_ref, a.stage_id, a.title, a.title_key, a.summary,
        a.url, a.category, a.category_rule, a.guideline, a.guideline_rule, a.starts_at,
        a.ends_at, a.all_day, a.published_at, a.deadline_at, a.venue, a.contact,
        a.date_note, a.content_sha256, a.online, a.fee_text, a.capacity_text,
        a.audience_text, a.fact_notes, a.schedule_text)
       IS DISTINCT FROM
       (b.member_id, b.source, b.source_ref, b.stage_id, b.title, b.title_key, b.summary,
        b.url, b.category, b.category_rule, b.guideline, b.guideline_rule, b.starts_at,
        b.ends_at, b.all_day, b.published_at, b.deadline_at, b.venue, b.contact,
        b.date_note, b.content_sha256, b.online, b.fee_text, b.capacity_text,
        b.audience_text, b.fact_notes, b.schedule_text));
