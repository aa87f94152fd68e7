-- Erase the personal parts of requests last changed before $before; the rows stay (status,
-- outcome, sectors) so the figures keep counting them.
UPDATE consultations
SET requester_email = '', requester_name = NULL, message = '（保存期間を過ぎたため削除）'
WHERE updated_at < $before AND requester_email <> '';
