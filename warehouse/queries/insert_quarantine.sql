INSERT INTO quarantine BY NAME
SELECT *, $stage AS stage, $now AS quarantined_at FROM batch
ON CONFLICT (raw_sha256, member_id, position, stage) DO UPDATE SET reason = excluded.reason,
    detail = excluded.detail;
