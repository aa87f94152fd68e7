"""A real IMAP server for the bounce tests: Dovecot (Debian's dovecot-imapd) from a private
config in a temp folder, on a free loopback port, with one user whose Maildir the tests
fill. Started once per test module (about 0.2 s), stopped with ``doveadm stop``."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import skip_or_fail

USER, PASSWORD = "bounce", "secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    root: Path
    port: int
    config: Path
    maildir: Path
    uid: int
    gid: int

    def deliver(self, data: bytes, name: str = "") -> None:
        """Drop one message into the inbox (Maildir/new), as the local delivery agent does."""
        unique = f"{time.time_ns()}.{uuid.uuid4().hex}{name}.renkei-test"
        tmp = self.maildir / "tmp" / unique
        tmp.write_bytes(data)
        os.chown(tmp, self.uid, self.gid)
        tmp.rename(self.maildir / "new" / unique)

    def clear(self) -> None:
        """Empty every folder (between tests of one module)."""
        for path in self.maildir.rglob("*"):
            if path.is_file() and path.parent.name in ("new", "cur", "tmp"):
                path.unlink()

    def count(self, folder: str = "INBOX") -> int:
        base = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        return sum(len(list((base / d).iterdir())) for d in ("new", "cur") if (base / d).is_dir())


def _config(root: Path, port: int, passwd: Path) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _wait_until_ready(port: int, log: Path, seconds: float = 10.0) -> None:
    """Until a login succeeds: the port answers before the auth service is up (the first
    logins then get "Temporary authentication failure")."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with imaplib.IMAP4("127.0.0.1", port, timeout=2) as client:
                client.login(USER, PASSWORD)
                client.logout()
                return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.02)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not accept a login on port {port}:\n{text[-2000:]}")


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Dovecot on a free loopback port with user ``bounce``/``secret``; stopped at the end.

    Its folder is made here under /tmp, mode 0755: Dovecot's auth process runs as user
    ``dovecot`` and must reach the passwd file (pytest's tmp_path sits in a 0700 folder)."""
    dovecot, doveadm = shutil.which("dovecot"), shutil.which("doveadm")
    if dovecot is None or doveadm is None:
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        skip_or_fail("the Dovecot test server is started as root (as .ci/run runs)")
    owner = pwd.getpwnam("mail")
    root = Path(tempfile.mkdtemp(prefix="renkei-dovecot-"))
    root.chmod(0o755)
    home = root / "home"
    maildir = home / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for path in [home, *home.rglob("*")]:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    passwd = root / "passwd"
    passwd.write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{owner.pw_uid}:{owner.pw_gid}::{home}::"
        f"userdb_mail=maildir:{maildir}\n"
    )
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port, passwd))
    (root / "run").mkdir(exist_ok=True)
    (root / "state").mkdir(exist_ok=True)
    # The daemon keeps inherited descriptors open: no pipes, or run() waits for it forever.
    subprocess.run(
        [dovecot, "-c", str(config)],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_ready(port, root / "dovecot.log")
        yield Dovecot(root, port, config, maildir, owner.pw_uid, owner.pw_gid)
    finally:
        subprocess.run(
            [doveadm, "-c", str(config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)
