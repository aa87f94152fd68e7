-- The other names members write for a member (広大, 呉高専…), from the registry's optional
-- `aliases` column, joined with ";" (NULL when none). Organiser names in reports and in
-- 主催/共催 sentences are matched through them.
ALTER TABLE members ADD COLUMN aliases VARCHAR;
