-- Member names for resolving organisers named in activity text.
SELECT member_id, name FROM members ORDER BY member_id;
