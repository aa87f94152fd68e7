INSERT INTO console_users (login, name, role, password_hash, created_at, password_changed_at)
VALUES ($login, $name, $role, $password_hash, $now, $now);
