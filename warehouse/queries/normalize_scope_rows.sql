-- Incremental normalise: the staged rows (seen before, unchanged) of the activities in
-- ``scope`` (activity_id), in staged_for_normalize's order.
SELECT s.stage_id, s.raw_sha256, s.position, s.source_kind, s.member_id, s.source_ref,
       s.item_key, s.title, s.summary, s.url, s.published_text, s.starts_text, s.ends_text,
       s.time_text, s.venue, s.category_text, s.deadline_text, s.contact, s.extra, s.staged_at,
       n.row_hash
FROM normalize_rows n
JOIN stg_items s USING (stage_id)
WHERE n.activity_id IN (SELECT activity_id FROM scope)
ORDER BY s.staged_at, s.raw_sha256, s.position, s.member_id, s.stage_id;
