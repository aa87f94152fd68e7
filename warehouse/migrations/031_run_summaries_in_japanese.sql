-- 031: each run's summary in Japanese beside the English one. The console's dashboard shows
-- the Japanese one to the secretariat; commands, flows and logs keep printing the English
-- one. Runs recorded before have none, and the console shows their English summary.
ALTER TABLE runs ADD COLUMN summary_ja VARCHAR;
