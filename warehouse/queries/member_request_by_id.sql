SELECT id, member_id, email, kind, activity_id, status FROM member_requests WHERE id = $id;
