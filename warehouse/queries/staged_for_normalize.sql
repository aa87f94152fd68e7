-- Every staged row, newest first per activity is decided in transforms.build_activities.
-- (member_id, stage_id break ties so incremental normalise sees the same order.)
SELECT stage_id, raw_sha256, position, source_kind, member_id, source_ref, item_key, title,
       summary, url, published_text, starts_text, ends_text, time_text, venue, category_text,
       deadline_text, contact, extra, staged_at
FROM stg_items
ORDER BY staged_at, raw_sha256, position, member_id, stage_id;
