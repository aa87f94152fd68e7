-- The registry's members; a member whose fields are unchanged is left as it is (its
-- updated_at says when the registry last changed it, not when it was last loaded).
INSERT INTO members BY NAME
SELECT *, $now AS updated_at FROM batch
ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, sector = excluded.sector,
    prefecture = excluded.prefecture, scope = excluded.scope, feed_url = excluded.feed_url,
    aliases = excluded.aliases, updated_at = excluded.updated_at
WHERE (members.name, members.sector, members.prefecture, members.scope, members.feed_url,
       members.aliases)
      IS DISTINCT FROM
      (excluded.name, excluded.sector, excluded.prefecture, excluded.scope, excluded.feed_url,
       excluded.aliases);
