-- 019: the people who use the secretariat's console. Passwords are Argon2id hashes
-- (argon2-cffi); a run of wrong passwords locks the account until locked_until.
CREATE TABLE console_users (
    login          VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    role           VARCHAR NOT NULL,            -- editor | approver | admin
    password_hash  VARCHAR NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT false,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    last_login_at  TIMESTAMPTZ
);
