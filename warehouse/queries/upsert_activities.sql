-- activities: one row per real-world activity. first_seen_at comes from staging (the
-- earliest staged_at of the activity's rows), so a rebuild reproduces it; an existing row
-- keeps the earlier of the two. updated_at moves only when content_sha256 changes, so
-- re-runs change nothing.
INSERT INTO activities BY NAME
SELECT *, $now AS updated_at FROM batch
ON CONFLICT (activity_id) DO UPDATE SET
    member_id = excluded.member_id, source = excluded.source, source_ref = excluded.source_ref,
    stage_id = excluded.stage_id, title = excluded.title, title_key = excluded.title_key,
    summary = excluded.summary, url = excluded.url, category = excluded.category,
    category_rule = excluded.category_rule, guideline = excluded.guideline,
    guideline_rule = excluded.guideline_rule, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, all_day = excluded.all_day, published_at = excluded.published_at,
    deadline_at = excluded.deadline_at, venue = excluded.venue, contact = excluded.contact,
    date_note = excluded.date_note, content_sha256 = excluded.content_sha256,
    online = excluded.online, fee_text = excluded.fee_text,
    capacity_text = excluded.capacity_text, audience_text = excluded.audience_text,
    fact_notes = excluded.fact_notes, schedule_text = excluded.schedule_text,
    first_seen_at = least(activities.first_seen_at, excluded.first_seen_at),
    updated_at = CASE WHEN activities.content_sha256 = excluded.content_sha256
                      THEN activities.updated_at ELSE excluded.updated_at END;
