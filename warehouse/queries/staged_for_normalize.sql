-- Every staged row, newest first per activity is decided in transforms.build_activities.
SELECT stage_id, raw_sha256, position, source_kind, member_id, source_ref, item_key, title,
       summary, url, published_text, starts_text, ends_text, time_text, venue, category_text,
       deadline_text, contact, extra, staged_at
FROM stg_items
ORDER BY staged_at, raw_sha256, position;
