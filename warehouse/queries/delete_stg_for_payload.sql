-- Before a re-parse replaces them: the rows one member's feed staged from one raw payload.
DELETE FROM stg_items
WHERE raw_sha256 = $sha256 AND member_id = $member_id AND source_kind = 'feed';
