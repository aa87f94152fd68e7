"""A small SMTP server that misbehaves on purpose, for the delivery fault tests and
``bench/faults.py``: it drops connections before or after the final ".", answers 4xx/5xx,
and SIGKILLs the sending process at chosen points of the conversation.

What happens to each recipient's successive transactions is scripted (``plan``: address →
list of actions, then ``ok``); every message the server keeps and every 250 it writes is
appended to a JSON-lines log, so a test counts copies from what the server holds, not from
what the sender believes. Actions:

* ``ok`` — keep the message, reply 250;
* ``450-rcpt`` / ``550-rcpt`` — refuse the RCPT;
* ``drop-before-dot`` — hang up with the 354 (the FIN rides in the same segment, so the
  sender sees the hang-up before it would write the "."; the server never gets the ".");
* ``drop-during-body`` — read the first line of the body, then hang up: whether the sender
  notices before its "." is a race, and either answer it gives must be safe;
* ``drop-after-body-kept`` / ``drop-after-body-lost`` — read the whole message including
  the ".", keep it or not, and hang up without a reply (the sender cannot know which);
* ``451-end`` / ``554-end`` — reply 4xx/5xx to the end of DATA (not kept).

Kills: ``control`` is a JSON file ``{"pid": P, "point": ..., "after": N}`` rewritten by the
driver; in the (N+1)-th transaction since ``pid`` first appeared, at ``point`` (``rcpt``
before answering it, ``body`` after the 354, ``dot-kept`` / ``dot-lost`` once the "." is in,
keeping the message or not, ``after-250`` right after writing the 250), the server SIGKILLs
``pid``, once.

Run in a thread (``with FaultServer(...) as server``) or as a process:
``python tests/fault_smtp.py --plan plan.json --log log.jsonl --control control.json``,
which prints ``ready PORT`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any


class FaultServer:
    def __init__(self, plan: dict[str, list[str]], log: Path, control: Path | None = None) -> None:
        self.plan = plan
        self.log = Path(log)
        self.control = control
        self.rcpts: Counter[str] = Counter()
        self.port = 0
        self._killed: set[int] = set()
        self._seen: dict[int, int] = {}  # pid -> transactions since it appeared
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._log_handle = open(self.log, "a", encoding="utf-8")

    # ------------------------------------------------------------ records and kills

    def _note(self, event: str, rcpt: str, message_id: str = "") -> None:
        line = {"event": event, "rcpt": rcpt, "message_id": message_id}
        self._log_handle.write(json.dumps(line) + "\n")
        self._log_handle.flush()

    def _kill_plan(self) -> dict[str, Any] | None:
        if self.control is None or not self.control.exists():
            return None
        try:
            plan: dict[str, Any] = json.loads(self.control.read_text(encoding="utf-8"))
        except ValueError:
            return None  # being rewritten
        return plan

    def _new_transaction(self) -> None:
        plan = self._kill_plan()
        if plan:
            self._seen[plan["pid"]] = self._seen.get(plan["pid"], 0) + 1

    def _maybe_kill(self, point: str, rcpt: str) -> bool:
        plan = self._kill_plan()
        if not plan or plan["point"] != point or plan["pid"] in self._killed:
            return False
        if self._seen.get(plan["pid"], 0) <= plan["after"]:
            return False
        self._killed.add(plan["pid"])
        try:
            os.kill(plan["pid"], signal.SIGKILL)
        except ProcessLookupError:
            return False
        self._note("kill", rcpt, point)
        return True

    # ------------------------------------------------------------ the conversation

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        rcpt = ""
        action = "ok"
        self._writers.add(writer)
        try:
            await say("220 faults.example ESMTP")
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    await say("250-faults.example\r\n250 8BITMIME" if verb == b"EHLO" else "250 ok")
                elif verb == b"MAIL":
                    self._new_transaction()
                    rcpt, action = "", "ok"
                    await say("250 2.1.0 ok")
                elif verb == b"RCPT":
                    rcpt = line.decode().split("<", 1)[1].split(">", 1)[0]
                    if self._maybe_kill("rcpt", rcpt):
                        return
                    tries = self.rcpts[rcpt]
                    self.rcpts[rcpt] += 1
                    script = self.plan.get(rcpt, [])
                    action = script[tries] if tries < len(script) else "ok"
                    if action == "450-rcpt":
                        await say("450 4.2.1 mailbox busy, try later")
                    elif action == "550-rcpt":
                        await say("550 5.1.1 no such user here")
                    else:
                        await say("250 2.1.5 ok")
                elif verb == b"DATA":
                    if action == "drop-before-dot":
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                        writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        writer.write_eof()  # the 354 and the FIN leave together
                        return
                    await say("354 End data with <CR><LF>.<CR><LF>")
                    if action == "drop-during-body":
                        await reader.readline()
                        return
                    if self._maybe_kill("body", rcpt):
                        return
                    done = await self._data(reader, writer, rcpt, action)
                    if done:
                        return
                elif verb == b"RSET":
                    await say("250 2.0.0 ok")
                elif verb == b"NOOP":
                    await say("250 2.0.0 ok")
                elif verb == b"QUIT":
                    await say("221 2.0.0 bye")
                    return
                else:
                    await say("502 5.5.2 not implemented")
        except (ConnectionError, OSError):
            return
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _data(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rcpt: str, action: str
    ) -> bool:
        """Read the message up to the "."; act; return True when the connection is to end."""
        message_id = ""
        while True:
            line = await reader.readline()
            if not line:
                return True  # the sender went away before the "."
            if line == b".\r\n":
                break
            if not message_id and line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        if self._maybe_kill("dot-lost", rcpt):
            return True
        if self._maybe_kill("dot-kept", rcpt):
            self._note("stored", rcpt, message_id)
            return True
        if action.startswith("drop-after-body"):
            if action.endswith("kept"):
                self._note("stored", rcpt, message_id)
            return True
        if action == "451-end":
            writer.write(b"451 4.3.0 temporary local problem\r\n")
        elif action == "554-end":
            writer.write(b"554 5.6.0 message refused\r\n")
        else:
            self._note("stored", rcpt, message_id)
            writer.write(b"250 2.0.0 queued\r\n")
            await writer.drain()
            self._note("replied", rcpt, message_id)
            if self._maybe_kill("after-250", rcpt):
                return True
        await writer.drain()
        return False

    # ------------------------------------------------------------ running

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def serve_forever(self) -> None:
        async def main() -> None:
            await self._start()
            print(f"ready {self.port}", flush=True)
            assert self._server is not None
            await self._server.serve_forever()

        asyncio.run(main())

    def __enter__(self) -> FaultServer:
        ready = threading.Event()
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            loop.run_until_complete(self._start())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("fault SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        loop = self._loop

        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self._server.wait_closed()
            loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), loop)
        self._thread.join(timeout=10)
        loop.close()
        self._log_handle.close()


def read_log(log: Path) -> list[dict[str, str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--control", type=Path)
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text(encoding="utf-8"))
    try:
        FaultServer(plan, args.log, args.control).serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
