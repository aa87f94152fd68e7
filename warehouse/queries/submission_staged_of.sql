-- The staged (accepted) rows of one submission, in file order: their identities are
-- recomputed from these (renkei.submission_check.staged_identities).
SELECT * FROM stg_items
WHERE raw_sha256 = $sha256 AND member_id = $member_id
ORDER BY position;
