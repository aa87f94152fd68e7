-- Full normalise: the state incremental normalise starts from. batch: (stage_id,
-- activity_id) of every good staged row; groups: every activity's merge group and keys.
DELETE FROM normalize_rows;
INSERT INTO normalize_rows
SELECT s.stage_id, hash(s.raw_sha256, s.position, s.source_kind, s.member_id, s.source_ref, s.item_key, s.title, s.summary, s.url, s.published_text, s.starts_text, s.ends_text, s.time_text, s.venue, s.category_text, s.deadline_text, s.contact, s.extra, s.staged_at), b.activity_id FROM stg_items s LEFT JOIN batch b USING (stage_id);
DELETE FROM normalize_groups;
INSERT INTO normalize_groups BY NAME SELECT * FROM groups;
