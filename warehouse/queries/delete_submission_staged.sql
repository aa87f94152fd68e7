-- A submission's staged rows (before it is replaced or processed again).
DELETE FROM stg_items WHERE raw_sha256 = $sha256 AND member_id = $member_id;
