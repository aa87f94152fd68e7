-- 013: event facts read from the free text of titles and summaries (transforms/facts.py).
-- venue, starts_at, ends_at and deadline_at already exist and are now filled from the text
-- when the source has no structured field; these are new. fact_notes holds one Japanese
-- line per fact read from text (where it came from), shown to the reviewer.
ALTER TABLE activities ADD COLUMN online VARCHAR;         -- 'online' | 'hybrid' | NULL
ALTER TABLE activities ADD COLUMN fee_text VARCHAR;       -- e.g. 無料, 3,000円
ALTER TABLE activities ADD COLUMN capacity_text VARCHAR;  -- e.g. 50名
ALTER TABLE activities ADD COLUMN audience_text VARCHAR;
ALTER TABLE activities ADD COLUMN fact_notes VARCHAR;     -- lines joined with "\n"; NULL when none

-- The marts select a.*: re-create them so they carry the new columns.
CREATE OR REPLACE VIEW upcoming_events AS
SELECT a.*
FROM activities a
WHERE a.category = 'event'
  AND a.starts_at IS NOT NULL
  AND (coalesce(a.ends_at, a.starts_at) AT TIME ZONE 'Asia/Tokyo')::DATE
      >= (now() AT TIME ZONE 'Asia/Tokyo')::DATE
ORDER BY a.starts_at, a.activity_id;

CREATE OR REPLACE VIEW open_calls AS
SELECT a.*
FROM activities a
WHERE a.category = 'call'
  AND (a.deadline_at IS NULL
       OR (a.deadline_at AT TIME ZONE 'Asia/Tokyo')::DATE >= (now() AT TIME ZONE 'Asia/Tokyo')::DATE)
ORDER BY a.deadline_at NULLS LAST, a.activity_id;

CREATE OR REPLACE VIEW period_news AS
SELECT strftime(coalesce(a.published_at, a.first_seen_at) AT TIME ZONE 'Asia/Tokyo', '%Y-%m')
           AS period,
       a.*
FROM activities a
WHERE a.category IN ('news', 'success_case');
