-- raw_: index the stored feed bodies of one ingest run (the frame ``batch``, where two
-- feeds may have sent the same bytes); a body seen again only moves last_seen_at.
INSERT INTO raw_payloads
    (sha256, source_kind, source_ref, member_id, bytes, content_type, stored_path,
     first_seen_at, last_seen_at)
SELECT sha256, 'feed', arg_min(source_ref, seen_at), arg_min(member_id, seen_at),
       any_value(bytes), arg_min(content_type, seen_at), any_value(stored_path),
       min(seen_at), max(seen_at)
FROM batch
GROUP BY sha256
ON CONFLICT (sha256) DO UPDATE SET last_seen_at = excluded.last_seen_at;
