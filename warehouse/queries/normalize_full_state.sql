-- Full normalise: the state incremental normalise starts from. batch: (stage_id,
-- activity_id) of every good staged row; groups: every activity's merge group and keys
-- (stored as hashes: migration 028).
DELETE FROM normalize_rows;
INSERT INTO normalize_rows
SELECT s.stage_id, hash(s.raw_sha256, s.position, s.source_kind, s.member_id, s.source_ref, s.item_key, s.title, s.summary, s.url, s.published_text, s.starts_text, s.ends_text, s.time_text, s.venue, s.category_text, s.deadline_text, s.contact, s.extra, s.staged_at), b.activity_id FROM stg_items s LEFT JOIN batch b USING (stage_id);
DELETE FROM normalize_groups;
INSERT INTO normalize_groups
SELECT activity_id, group_id,
       CASE WHEN k_title IS NOT NULL THEN hash(k_title) END,
       CASE WHEN k_url IS NOT NULL THEN hash(k_url) END
FROM groups;
