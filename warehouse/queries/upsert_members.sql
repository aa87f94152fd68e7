INSERT INTO members BY NAME
SELECT *, $now AS updated_at FROM batch
ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, sector = excluded.sector,
    prefecture = excluded.prefecture, scope = excluded.scope, feed_url = excluded.feed_url,
    updated_at = excluded.updated_at;
