-- Activities a newsletter for [$period_start, $period_end], sent on $as_of, may carry or
-- must account for (renkei.newsletter.selection decides and names every one left out).
-- shown_before/shown_in: the activity is already in a sent issue (the latest one's 号).
-- hidden: the secretariat hid it (activity_hidden). duplicates: activities merged into it.
WITH sent_items AS (
    SELECT ii.activity_id, max(ni.number) AS shown_in
    FROM issue_items ii
    JOIN newsletter_issues ni USING (issue_id)
    WHERE ni.status = 'sent' AND ni.issue_id <> $issue_id
    GROUP BY ii.activity_id
),
pins AS (
    SELECT activity_id FROM issue_edits WHERE issue_id = $issue_id AND action = 'pin'
),
dated AS (
    SELECT a.*, coalesce(a.published_at, a.first_seen_at) AS reported_at
    FROM activities a
),
-- the candidates first: organisers and merged duplicates are gathered for these only (for
-- every activity they cost ~0.3 s on 100,000 rows; bench/console.py)
candidates AS (
    SELECT d.activity_id
    FROM dated d
    -- events from the period's start to the end of the upcoming window (those ended by the
    -- send date are named as ended)
    WHERE (d.starts_at IS NOT NULL
           AND CAST(d.starts_at AS DATE) BETWEEN $period_start AND $events_until)
       -- a call is a candidate while its deadline is on or after the send date, whatever month
       -- it was published in; one that closed in the period is named as closed
       OR (d.category = 'call'
           AND CAST(d.deadline_at AS DATE) >= least($period_start, $as_of)
           AND CAST(d.reported_at AS DATE) <= $period_end)
       -- a call without a known deadline is listed in the period it was reported; one
       -- reported the month before is named (so the reviewer can pin it), not silently lost
       OR (d.category = 'call' AND d.deadline_at IS NULL
           AND CAST(d.reported_at AS DATE)
               BETWEEN CAST($period_start - INTERVAL 1 MONTH AS DATE) AND $period_end)
       OR (CAST(d.reported_at AS DATE) BETWEEN $period_start AND $period_end)
       -- a pinned activity is always a candidate (`renkei edit --pin`)
       OR d.activity_id IN (SELECT activity_id FROM pins)
),
duplicates AS (
    SELECT g.activity_id,
           list({'activity_id': g.merged_activity_id, 'member_name': m.name}
                ORDER BY g.merged_activity_id) AS duplicates
    FROM activity_merges g
    LEFT JOIN members m USING (member_id)
    WHERE g.activity_id IN (SELECT activity_id FROM candidates)
    GROUP BY g.activity_id
),
-- every organiser (host first), and whether they span sectors or prefectures
organisers AS (
    SELECT o.activity_id,
           list({'member_id': m.member_id, 'name': m.name, 'sector': m.sector,
                 'prefecture': m.prefecture} ORDER BY o.role DESC, m.member_id) AS organisers,
           count(DISTINCT m.sector) > 1 OR count(DISTINCT m.prefecture) > 1 AS collaboration
    FROM activity_organisers o
    JOIN members m USING (member_id)
    WHERE o.activity_id IN (SELECT activity_id FROM candidates)
    GROUP BY o.activity_id
),
-- the best related activity of another member (related_activities, rank 1 of those still
-- shown), for the 「関連：」 line under the item
best_related AS (
    SELECT r.activity_id,
           arg_min({'title': b.title, 'member_name': rm.name, 'sector': rm.sector}, r.rank)
               AS related
    FROM related_activities r
    JOIN activities b ON b.activity_id = r.related_id
    JOIN members rm ON rm.member_id = b.member_id
    WHERE r.activity_id IN (SELECT activity_id FROM candidates)
      AND r.related_id NOT IN (SELECT activity_id FROM activity_hidden)
    GROUP BY r.activity_id
)
SELECT d.activity_id, d.title, d.summary, d.url, d.category, d.starts_at, d.ends_at,
       d.all_day, d.venue, d.deadline_at, d.published_at, d.contact, d.reported_at,
       d.online, d.fee_text, d.capacity_text, d.audience_text, d.fact_notes, d.schedule_text,
       d.member_id, m.name AS member_name, m.sector, m.prefecture,
       (s.activity_id IS NOT NULL) AS shown_before,
       o.organisers, coalesce(o.collaboration, false) AS collaboration,
       s.shown_in, (h.activity_id IS NOT NULL) AS hidden, h.reason AS hidden_reason,
       dup.duplicates, br.related
FROM dated d
JOIN members m USING (member_id)
LEFT JOIN sent_items s USING (activity_id)
LEFT JOIN organisers o USING (activity_id)
LEFT JOIN activity_hidden h USING (activity_id)
LEFT JOIN duplicates dup USING (activity_id)
LEFT JOIN best_related br USING (activity_id)
WHERE d.activity_id IN (SELECT activity_id FROM candidates)
ORDER BY d.starts_at NULLS LAST, d.reported_at, d.activity_id;
