-- Member names (and the registry's aliases, ";"-joined) for resolving organisers named in
-- activity text.
SELECT member_id, name, aliases FROM members ORDER BY member_id;
