-- Listed activities no longer in `activities` (a member's corrected resubmission withdrew
-- them): the approved bulletin would still announce them, so the approval is stale.
SELECT ii.activity_id, ii.section
FROM issue_items ii
WHERE ii.issue_id = $issue_id
  AND ii.activity_id NOT IN (SELECT activity_id FROM activities)
ORDER BY ii.activity_id;
