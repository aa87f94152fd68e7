-- 017: the schedule of an activity held on separate days (全2回（12月19日・1月16日）各日9:30～16:00),
-- read from text; starts_at/ends_at still span the first to the last session, and the card
-- shows this text instead of a range.
ALTER TABLE activities ADD COLUMN schedule_text VARCHAR;

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
