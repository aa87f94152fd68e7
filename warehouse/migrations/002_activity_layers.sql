-- 002: who organises each activity, which activities were folded together, what the
-- secretariat decided by hand, and the marts the newsletter and dataset read.

-- Every member organising an activity: its publisher (host), the publishers of activities
-- merged into it, and members named as 主催/共催 in its text (co_host). Recomputed by
-- normalize from staging, so a rebuild reproduces it.
CREATE TABLE activity_organisers (
    activity_id VARCHAR NOT NULL,
    member_id   VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,            -- host | co_host
    rule        VARCHAR NOT NULL,            -- publisher | merge:same_title_date | merge:same_url | text:主催
    PRIMARY KEY (activity_id, member_id)
);

-- Activities folded into another one (same event announced twice), with why and how sure.
CREATE TABLE activity_merges (
    merged_activity_id VARCHAR PRIMARY KEY,  -- the activity that no longer stands alone
    activity_id        VARCHAR NOT NULL,     -- the one kept
    member_id          VARCHAR NOT NULL,     -- the merged activity's publisher
    rule               VARCHAR NOT NULL,     -- same_title_date | same_url
    score              DOUBLE NOT NULL       -- 1.0 = exact key equality
);

-- A category set by the secretariat (`renkei classify`): wins over the rules, kept by
-- normalize and rebuild.
CREATE TABLE activity_overrides (
    activity_id VARCHAR PRIMARY KEY,
    category    VARCHAR NOT NULL,
    set_by      VARCHAR NOT NULL,
    set_at      TIMESTAMPTZ NOT NULL
);

-- Events from today (Japan time) on, soonest first.
CREATE VIEW upcoming_events AS
SELECT a.*
FROM activities a
WHERE a.category = 'event'
  AND a.starts_at IS NOT NULL
  AND (coalesce(a.ends_at, a.starts_at) AT TIME ZONE 'Asia/Tokyo')::DATE
      >= (now() AT TIME ZONE 'Asia/Tokyo')::DATE
ORDER BY a.starts_at, a.activity_id;

-- Calls whose deadline (a date-only deadline means the end of that day) has not passed.
CREATE VIEW open_calls AS
SELECT a.*
FROM activities a
WHERE a.category = 'call'
  AND (a.deadline_at IS NULL
       OR (a.deadline_at AT TIME ZONE 'Asia/Tokyo')::DATE >= (now() AT TIME ZONE 'Asia/Tokyo')::DATE)
ORDER BY a.deadline_at NULLS LAST, a.activity_id;

-- News, results and success cases with the month (YYYY-MM, Japan time) they were published.
CREATE VIEW period_news AS
SELECT strftime(coalesce(a.published_at, a.first_seen_at) AT TIME ZONE 'Asia/Tokyo', '%Y-%m')
           AS period,
       a.*
FROM activities a
WHERE a.category IN ('news', 'success_case');

-- Per member: activities hosted, co-hosted, and per category (counting co-hosting too).
CREATE VIEW member_activity_stats AS
SELECT o.member_id,
       count(*) FILTER (WHERE o.role = 'host')    AS hosted,
       count(*) FILTER (WHERE o.role = 'co_host') AS co_hosted,
       count(*) FILTER (WHERE a.category = 'event')        AS events,
       count(*) FILTER (WHERE a.category = 'call')         AS calls,
       count(*) FILTER (WHERE a.category = 'news')         AS news,
       count(*) FILTER (WHERE a.category = 'success_case') AS success_cases,
       count(*) FILTER (WHERE a.category = 'training')     AS trainings,
       count(*) FILTER (WHERE a.category = 'other')        AS others,
       max(a.first_seen_at) AS last_activity_seen_at
FROM activity_organisers o
JOIN activities a USING (activity_id)
GROUP BY o.member_id;
