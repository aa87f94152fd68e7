-- One submission (the same bytes from the same member), if it was seen before.
SELECT * FROM submissions WHERE sha256 = $sha256 AND member_id = $member_id;
