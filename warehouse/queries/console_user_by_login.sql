SELECT * FROM console_users WHERE login = $login;
