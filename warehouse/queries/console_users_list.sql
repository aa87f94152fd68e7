SELECT login, name, role, disabled, failed_logins, locked_until, created_at, last_login_at
FROM console_users
ORDER BY disabled, login;
