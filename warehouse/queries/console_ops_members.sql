-- Member institutions for the console's filters.
SELECT member_id, name FROM members ORDER BY member_id;
