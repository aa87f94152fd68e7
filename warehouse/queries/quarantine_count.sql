-- How many rows of one file from one member a stage has quarantined.
SELECT count(*) AS n
FROM quarantine
WHERE raw_sha256 = $sha256 AND member_id = $member_id AND stage = $stage;
