-- Incremental normalise: what changed in staging since the last normalise, in one pass.
-- A row with row_hash is new or changed (its content hash now); one with seen is gone or
-- changed since (withdrawn, replaced, re-parsed), with the activity it had become.
WITH cur AS (SELECT s.stage_id, hash(s.raw_sha256, s.position, s.source_kind, s.member_id, s.source_ref, s.item_key, s.title, s.summary, s.url, s.published_text, s.starts_text, s.ends_text, s.time_text, s.venue, s.category_text, s.deadline_text, s.contact, s.extra, s.staged_at) AS row_hash FROM stg_items s)
SELECT coalesce(c.stage_id, n.stage_id) AS stage_id, c.row_hash, n.stage_id IS NOT NULL AS seen,
       n.activity_id
FROM cur c
FULL JOIN normalize_rows n ON n.stage_id = c.stage_id AND n.row_hash = c.row_hash
WHERE c.stage_id IS NULL OR n.stage_id IS NULL;
