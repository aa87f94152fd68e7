SELECT count(*) AS open FROM member_requests WHERE status = 'open';
