INSERT INTO consultations (activity_id, issue_id, requester_email, requester_member,
                           requester_name, purpose, message, consent_share, created_at,
                           status, updated_at)
VALUES ($activity_id, $issue_id, $requester_email, $requester_member, $requester_name,
        $purpose, $message, $consent_share, $now, 'new', $now)
RETURNING consultation_id;
