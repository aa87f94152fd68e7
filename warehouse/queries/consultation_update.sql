UPDATE consultations
SET status = coalesce($status, status), outcome = coalesce($outcome, outcome),
    outcome_at = coalesce($outcome_at, outcome_at), updated_at = $now
WHERE consultation_id = $consultation_id;
