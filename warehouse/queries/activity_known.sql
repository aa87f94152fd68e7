-- Is $activity_id an activity, or an item of some issue (a withdrawn activity may still be
-- in a sent issue's archive page)? Its title when known.
SELECT $activity_id AS activity_id,
       (SELECT title FROM activities WHERE activity_id = $activity_id) AS title,
       EXISTS (SELECT 1 FROM activities WHERE activity_id = $activity_id) AS in_activities,
       EXISTS (SELECT 1 FROM issue_items WHERE activity_id = $activity_id) AS in_issues;
