-- One activity, only if it belongs to the member (a request names the member's own only).
SELECT activity_id, title
FROM activities
WHERE activity_id = $activity_id AND member_id = $member_id;
