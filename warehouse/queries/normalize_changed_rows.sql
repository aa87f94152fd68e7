-- Incremental normalise: the new or changed staged rows (``changed``: stage_id, row_hash)
-- in staged_for_normalize's order.
SELECT s.stage_id, s.raw_sha256, s.position, s.source_kind, s.member_id, s.source_ref,
       s.item_key, s.title, s.summary, s.url, s.published_text, s.starts_text, s.ends_text,
       s.time_text, s.venue, s.category_text, s.deadline_text, s.contact, s.extra, s.staged_at,
       c.row_hash
FROM stg_items s
JOIN changed c USING (stage_id)
ORDER BY s.staged_at, s.raw_sha256, s.position, s.member_id, s.stage_id;
