-- raw_: index one stored payload; seeing the same bytes again only moves last_seen_at.
INSERT INTO raw_payloads
    (sha256, source_kind, source_ref, member_id, bytes, content_type, stored_path,
     first_seen_at, last_seen_at)
VALUES ($sha256, $source_kind, $source_ref, $member_id, $bytes, $content_type, $stored_path,
        $seen_at, $seen_at)
ON CONFLICT (sha256) DO UPDATE SET last_seen_at = excluded.last_seen_at;
