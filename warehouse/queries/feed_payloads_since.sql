-- Stored feed bodies seen since a date, oldest first, for `renkei reparse`.
SELECT sha256, source_ref, member_id, content_type, first_seen_at
FROM raw_payloads
WHERE source_kind = 'feed' AND last_seen_at >= $since
ORDER BY first_seen_at, sha256;
