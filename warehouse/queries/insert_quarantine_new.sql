-- Quarantine rows of a file with none yet (see quarantine_count): a plain insert, without
-- insert_quarantine's per-row conflict check.
INSERT INTO quarantine BY NAME
SELECT *, $stage AS stage, $now AS quarantined_at FROM batch;
