UPDATE console_users
SET password_hash = $password_hash, password_changed_at = $now,
    failed_logins = 0, locked_until = NULL
WHERE login = $login;
