-- A submission's quarantined rows, of every stage (before it is replaced or processed again).
DELETE FROM quarantine WHERE raw_sha256 = $sha256 AND member_id = $member_id;
