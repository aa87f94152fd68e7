-- The current files of a report month with their hashes (the console links each receipt).
SELECT sha256, member_id, file_name, received_at
FROM submissions
WHERE period = $period AND status <> 'superseded';
