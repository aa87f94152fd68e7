-- How many earlier current submissions a member has for a period (see
-- submissions_same_period): none, and a new file has nothing to replace.
SELECT count(*) AS n
FROM submissions
WHERE member_id = $member_id AND period = $period AND status IN ('accepted', 'rejected')
  AND sha256 <> $sha256;
