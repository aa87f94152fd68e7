-- The accepted rows of a submission not staged before for this member: its stage ids are
-- scoped to file and member, so nothing staged can conflict (no ON CONFLICT check per row).
INSERT INTO stg_items BY NAME SELECT * FROM batch;
