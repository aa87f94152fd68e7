-- A submission processed again: its staged rows that are no longer accepted go.
DELETE FROM stg_items
WHERE raw_sha256 = $sha256 AND member_id = $member_id AND NOT list_contains($keep, stage_id);
