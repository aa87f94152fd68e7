-- stg_: parsed rows keyed by (raw payload, position); re-staging the same bytes adds nothing.
INSERT INTO stg_items BY NAME
SELECT * FROM batch
ON CONFLICT (stage_id) DO NOTHING;
