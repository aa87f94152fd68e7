-- stg_: parsed rows keyed by (raw payload, position); re-staging the same bytes adds
-- nothing (rows whose stage id is staged already are skipped, as are repeats in the batch).
INSERT INTO stg_items BY NAME
SELECT DISTINCT ON (stage_id) *
FROM batch
WHERE stage_id NOT IN (SELECT stage_id FROM stg_items);
