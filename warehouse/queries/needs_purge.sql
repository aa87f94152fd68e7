-- Needs and seeds expired and last changed before $before: the poster's address and text go.
UPDATE needs_seeds SET email = '', body = '（保存期間を過ぎたため削除）'
WHERE coalesce(reviewed_at, created_at) < $before AND expires_on < CAST($before AS DATE)
  AND email <> '';
