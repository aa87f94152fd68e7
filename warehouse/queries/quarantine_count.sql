-- How many rows of one file (any member) a stage has quarantined.
SELECT count(*) AS n FROM quarantine WHERE raw_sha256 = $sha256 AND stage = $stage;
