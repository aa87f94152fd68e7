"""Classify 10,000 mixed bounce-mailbox messages in process (no IMAP): messages/s against
a baseline from the same run (the standard library's parse alone), and peak RSS.

    python bench/bounces.py [COUNT]

The mix cycles through tests/fixtures/bounces/*.eml (DSNs of Postfix, Gmail, Office 365,
Exchange; Exim, qmail and old-Postfix text bounces; Japanese carrier text; ARF complaints;
autoreplies; garbage), each copy with its own Message-ID. Target: >= 500 messages/s.
"""

from __future__ import annotations

import resource
import sys
import time
from email import message_from_bytes
from pathlib import Path

from renkei.delivery.bounce_parse import classify_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "bounces"


def corpus(count: int) -> list[bytes]:
    samples = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    out = []
    for i in range(count):
        data = samples[i % len(samples)]
        out.append(data.replace(b"Message-ID: <", f"Message-ID: <{i}.".encode(), 1))
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    messages = corpus(count)
    start = time.perf_counter()
    for data in messages:
        message_from_bytes(data)
    baseline = time.perf_counter() - start
    kinds: dict[str, int] = {}
    start = time.perf_counter()
    for data in messages:
        kind = classify_bytes(data).kind
        kinds[kind] = kinds.get(kind, 0) + 1
    took = time.perf_counter() - start
    rate = count / took
    print(f"classified {count} messages in {took:.2f} s: {rate:,.0f} messages/s (target >= 500)")
    print(f"  {', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}")
    print(
        f"baseline, same messages: email.message_from_bytes alone {count / baseline:,.0f}/s; "
        f"classifying costs {took / baseline:.1f}x a plain parse "
        f"({(took - baseline) / count * 1000:.2f} ms per message on top)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MiB")
    print("PASS" if rate >= 500 else "MISS")


if __name__ == "__main__":
    main()
