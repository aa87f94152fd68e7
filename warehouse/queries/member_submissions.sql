-- One member's submitted files, newest report month first (the portal's 提出履歴).
SELECT sha256, file_name, period, received_at, rows_read, rows_accepted, rows_rejected,
       status, error, superseded_by, receipt_path
FROM submissions
WHERE member_id = $member_id
ORDER BY period DESC, received_at DESC;
