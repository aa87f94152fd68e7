DELETE FROM submissions WHERE sha256 = $sha256 AND member_id = $member_id;
