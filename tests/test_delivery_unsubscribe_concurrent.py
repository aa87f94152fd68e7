"""One token posted many times at once (a mailbox provider retrying, a user double-clicking):
every request gets 200 and the address is unsubscribed once, never a 500."""

from __future__ import annotations

import threading

import httpx
from delivery_support import ISSUE_ID, approve_issue, registry_rows

from renkei.delivery.unsubscribe import load_secret, make_token, pending_path
from renkei.delivery.unsubscribe_server import running
from warehouse.connection import open_warehouse

WHO = "renkei@member01.example.jp"
CONCURRENT = 30


def test_thirty_simultaneous_one_click_posts_of_one_token_all_get_200(settings_for) -> None:
    settings = settings_for(registry_rows(3))
    approve_issue(settings)  # loads the registry: WHO is a subscribed contact
    token = make_token(load_secret(settings.mail), ISSUE_ID, WHO)
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CONCURRENT)
    with running(settings) as origin:

        def post(client: httpx.Client) -> None:
            start.wait(timeout=30)  # all 30 in flight together
            try:
                response = client.post(
                    f"{origin}/unsubscribe?t={token}",
                    content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    timeout=60,
                )
                statuses.append(response.status_code)
            except BaseException as exc:
                errors.append(exc)

        clients = [httpx.Client() for _ in range(CONCURRENT)]  # one connection each
        threads = [threading.Thread(target=post, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        for client in clients:
            client.close()
    assert errors == []
    assert statuses == [200] * CONCURRENT
    assert not pending_path(settings).exists()  # all written, none left journalled
    with open_warehouse(settings.warehouse, read_only=True) as con:
        status = con.execute("SELECT status FROM contacts WHERE email = $e", {"e": WHO}).fetchall()
        logged = con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'unsubscribe' AND actor = $e",
            {"e": WHO},
        ).fetchall()
    assert status == [("unsubscribed",)]
    assert logged == [(CONCURRENT,)]
