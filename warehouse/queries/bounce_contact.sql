SELECT email, member_id, status, suppressed_reason FROM contacts WHERE email = $email;
