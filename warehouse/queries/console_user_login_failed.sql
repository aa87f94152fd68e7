UPDATE console_users
SET failed_logins = $failed_logins, locked_until = $locked_until
WHERE login = $login;
