-- How many rows of one submission (file and member) are staged already.
SELECT count(*) AS n FROM stg_items WHERE raw_sha256 = $sha256 AND member_id = $member_id;
