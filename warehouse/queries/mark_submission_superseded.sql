-- A corrected resubmission replaced this file; it stays on record.
UPDATE submissions SET status = 'superseded', superseded_by = $by
WHERE sha256 = $sha256 AND member_id = $member_id;
