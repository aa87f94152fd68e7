-- Incremental normalise of a small increment: keep DuckDB's buffer (pages of staging and
-- activities read while looking for changes) small; operators spill beyond it.
SET memory_limit = '256MB';
