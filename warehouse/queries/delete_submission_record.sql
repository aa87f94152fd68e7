-- Before a submission is processed again (renkei requeue): its record goes (rows first).
DELETE FROM submission_rows WHERE sha256 = $sha256 AND member_id = $member_id;
