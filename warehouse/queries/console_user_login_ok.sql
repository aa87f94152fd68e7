UPDATE console_users
SET failed_logins = 0, locked_until = NULL, last_login_at = $now, password_hash = $password_hash
WHERE login = $login;
