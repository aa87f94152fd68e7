-- One request from a member's contact (status open); its id.
INSERT INTO member_requests
    (member_id, email, kind, activity_id, message, colleague_email, colleague_name, created_at)
VALUES ($member_id, $email, $kind, $activity_id, $message, $colleague_email, $colleague_name,
        $now)
RETURNING id;
