-- raw_: index the stored bodies of one feed ingest run (the frame ``batch``, where two
-- feeds may have sent the same bytes): feed bodies (source_kind 'feed', what `reparse`
-- reads) and HTML pages fetched on the way to a feed ('feed_page', e.g. a homepage
-- searched for its feed link). A body seen again only moves last_seen_at.
INSERT INTO raw_payloads
    (sha256, source_kind, source_ref, member_id, bytes, content_type, stored_path,
     first_seen_at, last_seen_at)
SELECT sha256, arg_min(source_kind, seen_at), arg_min(source_ref, seen_at),
       arg_min(member_id, seen_at), any_value(bytes), arg_min(content_type, seen_at),
       any_value(stored_path), min(seen_at), max(seen_at)
FROM batch
GROUP BY sha256
ON CONFLICT (sha256) DO UPDATE SET last_seen_at = excluded.last_seen_at;
