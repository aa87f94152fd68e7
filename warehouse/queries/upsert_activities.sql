-- activities: one row per real-world activity. A changed row keeps first_seen_at and moves
-- updated_at; an unchanged one (same content_sha256) is left alone, so re-runs change nothing.
INSERT INTO activities BY NAME
SELECT *, $now AS first_seen_at, $now AS updated_at FROM batch
ON CONFLICT (activity_id) DO UPDATE SET
    member_id = excluded.member_id, source = excluded.source, source_ref = excluded.source_ref,
    stage_id = excluded.stage_id, title = excluded.title, title_key = excluded.title_key,
    summary = excluded.summary, url = excluded.url, category = excluded.category,
    category_rule = excluded.category_rule, guideline = excluded.guideline,
    guideline_rule = excluded.guideline_rule, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, all_day = excluded.all_day, published_at = excluded.published_at,
    deadline_at = excluded.deadline_at, venue = excluded.venue, contact = excluded.contact,
    date_note = excluded.date_note, content_sha256 = excluded.content_sha256,
    updated_at = CASE WHEN activities.content_sha256 = excluded.content_sha256
                      THEN activities.updated_at ELSE excluded.updated_at END;
