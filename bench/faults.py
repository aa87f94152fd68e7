"""Fault injection for `renkei send` (issue 16, acceptance 1): never a duplicate, never a
`sent` the server did not accept, every unknown outcome listed.

A real `renkei send` process sends one issue to N recipients through a misbehaving SMTP
server in another process (``tests/fault_smtp.py``), which

* drops the connection with its 354, before the final "." (the sender must retry), or
  after the first line of the body (a race: the sender retries if it sees the hang-up
  before its ".", else it cannot know and says ``unknown``),
* drops it after the whole message and its "." without a reply, keeping the message for
  some recipients and losing it for others (the sender cannot know: ``unknown``),
* answers 4xx (retried) and 5xx (failed) at RCPT and at the end of DATA;

and the send is SIGKILLed at ``--kills`` random points, rerun after each kill until it is
done: most kills are fired by the server at a random transaction and step (before the RCPT
reply, after the 354, once the "." is in — message kept or lost —, right after the 250),
the rest by a timer at a random moment (start-up, journal replay, anywhere). Then it counts
copies per recipient from what the server kept, states from the warehouse, and the unknowns
listed by `renkei deliveries` and by the send artifact's table.

    python bench/faults.py [--recipients 300] [--kills 30] [--seed 16] [--json out.json]

Exit status 0 when every check holds. ``tests/test_faults.py`` runs a scaled-down version.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from delivery_support import ISSUE_ID, approve_issue, smtp_env
from fault_smtp import read_log

from renkei.core.settings import load_settings
from renkei.delivery.report import artifact_rows, delivery_report
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse

ROOT = Path(__file__).resolve().parents[1]
POINTS = ("rcpt", "body", "dot-kept", "dot-lost", "after-250")
# share of recipients per scripted behaviour (the rest are accepted at once)
FAULTS = {
    ("drop-before-dot",): 0.04,
    ("drop-before-dot", "drop-before-dot"): 0.02,
    ("drop-during-body",): 0.02,
    ("drop-after-body-kept",): 0.04,
    ("drop-after-body-lost",): 0.04,
    ("451-end",): 0.03,
    ("451-end", "451-end"): 0.02,
    ("450-rcpt",): 0.03,
    ("550-rcpt",): 0.02,
    ("554-end",): 0.02,
}


def make_folder(folder: Path, recipients: int) -> list[str]:
    """A working folder whose registry has ``recipients`` contacts (10 per member)."""
    init_folder(folder)
    lines = ["member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email"]
    addresses = [f"c{i:04d}@member{i // 10:03d}.example.jp" for i in range(recipients)]
    for m in range(0, recipients, 10):
        emails = ";".join(addresses[m : m + 10])
        lines.append(
            f"aca-{m // 10:03d},会員機関{m // 10:03d},academia,学,広島県,prefecture,,{emails}"
        )
    (folder / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return addresses


def make_plan(addresses: list[str], rng: random.Random) -> dict[str, list[str]]:
    pool = list(addresses)
    rng.shuffle(pool)
    plan: dict[str, list[str]] = {}
    for script, share in FAULTS.items():
        for _ in range(max(1, round(share * len(addresses)))):
            if pool:
                plan[pool.pop()] = list(script)
    return plan


def start_server(work: Path, plan: dict[str, list[str]]) -> tuple[subprocess.Popen[str], int]:
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable, str(ROOT / "tests" / "fault_smtp.py"),
            "--plan", str(work / "plan.json"),
            "--log", str(work / "server.jsonl"),
            "--control", str(work / "control.json"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert server.stdout is not None
    ready = server.stdout.readline().split()  # "ready PORT" once it listens
    if not ready or ready[0] != "ready":
        server.kill()
        raise RuntimeError("fault SMTP server did not start")
    return server, int(ready[1])


def set_control(work: Path, plan: dict[str, Any]) -> None:
    tmp = work / "control.json.tmp"
    tmp.write_text(json.dumps(plan), encoding="utf-8")
    os.replace(tmp, work / "control.json")


def states(settings: Any) -> tuple[dict[str, str], str]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT recipient, status FROM deliveries WHERE issue_id = $i", {"i": ISSUE_ID}
        ).fetchall()
        issue = con.execute(
            "SELECT status FROM newsletter_issues WHERE issue_id = $i", {"i": ISSUE_ID}
        ).fetchall()
    return dict(rows), issue[0][0]


def run(recipients: int, kills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "work"
        addresses = make_folder(folder, recipients)
        settings = load_settings(folder / "renkei.toml")
        approve_issue(settings)
        plan = make_plan(addresses, rng)
        server, port = start_server(work, plan)
        env = {**os.environ, **smtp_env(port), "PREFECT_API_URL": ""}
        per_kill = max(1, recipients // kills)
        killed: Counter[str] = Counter()
        exits: Counter[int] = Counter()
        runs = 0
        started = time.monotonic()
        try:
            while runs < kills * 3 + 30:
                runs += 1
                proc = subprocess.Popen(
                    [sys.executable, "-m", "renkei", "send", ISSUE_ID, "-c", "renkei.toml"],
                    cwd=folder,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                mode = None
                if sum(killed.values()) < kills:
                    # a server-side kill at a random step of a random transaction; "timed":
                    # a timer at a random moment (start-up, replay, any step), with the
                    # server's kill at a later RCPT as a backstop so every run is cut short
                    mode = rng.choice((*POINTS, "timed", "timed"))
                    point = "rcpt" if mode == "timed" else mode
                    after = rng.randint(0, per_kill // 2)
                    set_control(work, {"pid": proc.pid, "point": point, "after": after})
                    if mode == "timed":
                        try:
                            proc.wait(timeout=rng.uniform(0.2, 2.0))
                            mode = "rcpt"  # the server's backstop came first
                        except subprocess.TimeoutExpired:
                            proc.send_signal(signal.SIGKILL)
                else:
                    set_control(work, {"pid": 0, "point": "none", "after": 0})
                proc.communicate(timeout=300)
                if proc.returncode == -signal.SIGKILL:
                    killed[mode or "?"] += 1
                    continue
                exits[proc.returncode] += 1
                rows, issue = states(settings)
                if issue == "sent" and "sending" not in rows.values():
                    break  # done: every recipient sent, failed or unknown
        finally:
            server.terminate()
            server.wait(timeout=30)
        elapsed = time.monotonic() - started
        rows, issue = states(settings)
        log = read_log(work / "server.jsonl")
        shown = subprocess.run(
            [sys.executable, "-m", "renkei", "deliveries", ISSUE_ID, "-c", "renkei.toml"],
            cwd=folder, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        table = artifact_rows(delivery_report(settings, ISSUE_ID))
    copies = Counter(e["rcpt"] for e in log if e["event"] == "stored")
    replied = {e["rcpt"] for e in log if e["event"] == "replied"}
    killed_at = {e["rcpt"] for e in log if e["event"] == "kill"}
    per_state = Counter(rows.get(a, "none") for a in addresses)
    unknown = sorted(a for a in addresses if rows.get(a) == "unknown")
    listed_cli = sorted(
        line.split()[1] for line in shown.stdout.splitlines() if line.startswith("  unknown: ")
    )
    listed_artifact = sorted(
        r["recipient"] for r in table if r["status"] == "unknown" and "@" in r["recipient"]
    )
    return {
        "recipients": recipients,
        "seed": seed,
        "issue_status": issue,
        "runs": runs,
        "exit_codes": dict(sorted(exits.items())),
        "seconds": round(elapsed, 1),
        "kills": sum(killed.values()),
        "kills_by_point": dict(sorted(killed.items())),
        "plan": dict(Counter("+".join(s) for s in plan.values())),
        "outcomes": dict(
            sorted(Counter(f"{'+'.join(plan[a])} → {rows.get(a)}" for a in plan).items())
        ),
        "copies": {
            "0": sum(1 for a in addresses if copies[a] == 0),
            "1": sum(1 for a in addresses if copies[a] == 1),
            ">1": sum(1 for a in addresses if copies[a] > 1),
        },
        "states": dict(sorted(per_state.items())),
        "duplicates": sorted(a for a in addresses if copies[a] > 1),
        "sent_not_accepted": sorted(
            a for a in addresses if rows.get(a) == "sent" and a not in replied
        ),
        "sent_without_copy": sorted(
            a for a in addresses if rows.get(a) == "sent" and not copies[a]
        ),
        "failed_with_copy": sorted(a for a in addresses if rows.get(a) == "failed" and copies[a]),
        "unfinished": sorted(
            a for a in addresses if rows.get(a) not in ("sent", "failed", "unknown")
        ),
        "unknown": unknown,
        "unknown_with_copy": sum(1 for a in unknown if copies[a]),
        "unknown_after_kill": sum(1 for a in unknown if a in killed_at),
        "unknown_story": {  # what the server saw of each unknown (scripted or killed)
            a: {"script": plan.get(a, []), "server": [e["event"] for e in log if e["rcpt"] == a]}
            for a in unknown
        },
        "unknown_listed_cli": listed_cli == unknown,
        "unknown_listed_artifact": listed_artifact == unknown,
        "deliveries": shown.stdout.splitlines(),
    }


def verdict(result: dict[str, Any], kills: int) -> list[str]:
    """The checks that failed (none: all hold)."""
    problems = []
    for key in ("duplicates", "sent_not_accepted", "sent_without_copy", "unfinished"):
        if result[key]:
            problems.append(f"{key}: {result[key]}")
    if result["kills"] < kills:
        problems.append(f"only {result['kills']} kills landed (wanted {kills})")
    if not (result["unknown_listed_cli"] and result["unknown_listed_artifact"]):
        problems.append("an unknown delivery is missing from `renkei deliveries` or the artifact")
    if result["issue_status"] != "sent":
        problems.append(f"issue ended {result['issue_status']}, not sent")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = run(args.recipients, args.kills, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    r = result
    print(f"fault run: {r['recipients']} recipients, seed {r['seed']}, {r['seconds']} s")
    print(f"server script (recipients per behaviour): {r['plan']}")
    print(f"scripted recipients ended: {r['outcomes']}")
    print(f"kills: {r['kills']} {r['kills_by_point']}; runs: {r['runs']}, exits {r['exit_codes']}")
    c = r["copies"]
    print(f"copies per recipient: 0 → {c['0']}, 1 → {c['1']}, >1 → {c['>1']}")
    print(f"states: {r['states']} (issue {r['issue_status']})")
    print(
        f"duplicates: {len(r['duplicates'])}; `sent` without the server's 250: "
        f"{len(r['sent_not_accepted'])}; `sent` without a copy: {len(r['sent_without_copy'])}; "
        f"`failed` with a copy: {len(r['failed_with_copy'])}; unfinished: {len(r['unfinished'])}"
    )
    print(
        f"unknown: {len(r['unknown'])} ({r['unknown_with_copy']} of them reached the mailbox, "
        f"{r['unknown_after_kill']} in a transaction the server's kill cut short); "
        f"listed by `renkei deliveries`: {r['unknown_listed_cli']}, "
        f"in the send artifact: {r['unknown_listed_artifact']}"
    )
    print("`renkei deliveries` said:")
    for line in r["deliveries"]:
        print(f"  {line}")
    problems = verdict(result, args.kills)
    for problem in problems:
        print(f"FAIL {problem}")
    print("OK: all checks hold" if not problems else f"{len(problems)} checks failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
