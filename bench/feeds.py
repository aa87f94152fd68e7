"""Feed ingest throughput: N generated feeds on a local threaded server. Prints figures.

    python bench/feeds.py [--feeds 1000] [--items 10] [--hosts 85] [--latency-ms 0]

A server process answers on 127.0.0.2 … 127.0.0.(hosts+1) (Linux routes all of 127/8 to
lo; one port; each address is a separate "member site" like the 85 real members' hosts,
so the 2-per-host limit applies as it would in real use) with ETag validators. The bench
runs the real stage (registry → fetch → raw store → parse → stage in a DuckDB file, no
Prefect; the registry written in the store's commit, as ``pipeline.ingest_feeds`` does)
twice: a first full fetch, then a refresh after 10% of the feeds changed (the rest answer
304). The baseline is what the issue names, a plain sequential ``httpx`` loop
over the same URLs: it keeps no state, so it GETs every feed in full and parses every
body with feedparser, on the first fetch and on the refresh alike (no warehouse).
``--latency-ms`` adds a server-side delay before each response, like a remote site.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing as mp
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import feedparser
import httpx

from renkei import pipeline
from renkei.core.settings import load_settings
from renkei.scaffold import init_folder

HEADER = "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email\n"


def feed_body(index: int, generation: int, items: int) -> bytes:
    changed = generation if index % 10 == 0 else 0  # 10% of the feeds change per generation
    entries = "".join(
        f"<item><title>会員{index} お知らせ{n} 版{changed if n == 0 else 0}</title>"
        f"<link>https://m{index}.example.jp/news/{n}.html?utm_source=rss</link>"
        f'<guid isPermaLink="false">m{index}-{n}</guid>'
        f"<description>産学連携セミナーのご案内 {n}</description>"
        f"<pubDate>Thu, 05 Nov 2026 09:00:00 +0900</pubDate></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>会員{index}</title><link>https://m{index}.example.jp/</link>"
        f"<description>bench</description>{entries}</channel></rss>"
    ).encode()


def serve(hosts: list[str], port: int, items: int, latency: float, generation, ready) -> None:
    """An asyncio HTTP/1.1 server with keep-alive and ETag validators, on every host.

    Not http.server: its thread per connection costs about 0.2 ms of CPU per answer, on
    the same two cores as the client being measured. Real sites answer a conditional GET
    from a cache in microseconds; what is measured here is the client."""
    asyncio.run(_serve(hosts, port, items, latency, generation, ready))


async def _serve(hosts, port, items, latency, generation, ready) -> None:
    cache: dict[tuple[int, int], tuple[bytes, bytes]] = {}

    def answer(path: bytes, if_none_match: bytes | None) -> bytes:
        index = int(path.rsplit(b"/", 1)[-1].split(b".")[0])
        key = (index, generation.value if index % 10 == 0 else 0)
        if key not in cache:
            body = feed_body(index, generation.value, items)
            cache[key] = (body, b'"' + hashlib.sha256(body).hexdigest()[:16].encode() + b'"')
        body, etag = cache[key]
        if if_none_match == etag:
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nContent-Length: 0\r\n\r\n"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
            + etag
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                etag = None
                for line in lines[1:]:
                    if line[:14].lower() == b"if-none-match:":
                        etag = line[14:].strip()
                if latency:
                    await asyncio.sleep(latency)
                writer.write(answer(path, etag))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, host, port) for host in hosts]
    ready.set()
    await asyncio.gather(*(server.serve_forever() for server in servers))


def free_port(hosts: list[str]) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = probe.getsockname()[1]
        try:
            for host in hosts[1:]:
                with socket.socket() as other:
                    other.bind((host, port))
            return port
        except OSError:
            continue
    raise SystemExit("no common free port on the loopback addresses")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(urls: list[str]) -> tuple[float, float, int]:
    """A plain sequential httpx loop, no state: GET every URL, feedparser every body.
    Wall seconds, CPU seconds, items parsed."""
    items = 0
    started, cpu = time.perf_counter(), time.process_time()
    with httpx.Client(timeout=30) as client:
        for url in urls:
            response = client.get(url)
            response.raise_for_status()
            items += len(feedparser.parse(response.content).entries)
    return time.perf_counter() - started, time.process_time() - cpu, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=85)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=3, help="refresh rounds (median)")
    args = parser.parse_args()

    hosts = [f"127.0.0.{n}" for n in range(2, args.hosts + 2)]
    port = free_port(hosts)
    generation = mp.Value("i", 0)
    ready = mp.Event()
    server = mp.Process(
        target=serve,
        args=(hosts, port, args.items, args.latency_ms / 1000, generation, ready),
        daemon=True,
    )
    server.start()
    ready.wait(30)
    urls = [f"http://{hosts[i % len(hosts)]}:{port}/f/{i}.xml" for i in range(args.feeds)]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        init_folder(folder)
        (folder / "members.csv").write_text(
            HEADER
            + "".join(
                f"b-{i:05d},ベンチ会員{i},academia,学,岡山県,prefecture,{url},\n"
                for i, url in enumerate(urls)
            ),
            encoding="utf-8",
        )
        settings = load_settings(folder / "renkei.toml")
        feeds = settings.feeds.model_copy(update={"allow_private_addresses": True})  # loopback
        settings = settings.model_copy(update={"feeds": feeds})
        print(
            f"{args.feeds} feeds x {args.items} items on {len(hosts)} loopback hosts, "
            f"latency {args.latency_ms:g} ms, concurrency {settings.feeds.concurrency}, "
            f"per host {settings.feeds.per_host}; Prefect not started (flows add its start-up)"
        )
        rounds = ["first fetch"] + [f"refresh {n}" for n in range(1, args.rounds + 1)]
        figures: dict[str, list[float]] = {"first fetch": [], "refresh": []}
        cpus: dict[str, list[float]] = {"first fetch": [], "refresh": []}  # all threads
        for label in rounds:
            if label != "first fetch":
                generation.value += 1  # 10% of the feeds change; the rest answer 304
            started, cpu_started = time.perf_counter(), time.process_time()
            members = pipeline.read_registry(settings)  # as pipeline.ingest_feeds runs it
            t_fetch, cpu = time.perf_counter(), time.process_time()
            fetched = pipeline.fetch_feeds(settings, pipeline.feed_targets(members))
            t_store, cpu = time.perf_counter(), time.process_time() - cpu
            report = pipeline.store_and_stage_feeds(settings, fetched, members)
            done, round_cpu = time.perf_counter(), time.process_time() - cpu_started
            wall = done - started
            key = label.split(" ")[0] if label != "first fetch" else label
            figures[key].append(wall)
            cpus[key].append(round_cpu)
            print(
                f"renkei {label:11s}: {wall:6.2f} s  ({args.feeds / wall:7.0f} feeds/s, "
                f"{report.items_staged / wall:7.0f} items/s; registry {t_fetch - started:.2f} s,"
                f" fetch {t_store - t_fetch:.2f} s, store+parse {done - t_store:.2f} s; "
                f"fetch CPU {cpu * 1000 / args.feeds:.2f} ms/request; CPU {round_cpu:.2f} s)  "
                f"{report.summary()}"
            )
        print(f"renkei peak memory (RSS): {peak_mb():.0f} MB")

        base: dict[str, list[float]] = {"first fetch": [], "refresh": []}
        base_cpus: list[float] = []
        for label in rounds:
            if label != "first fetch":
                generation.value += 1
            wall, cpu, items = baseline(urls)
            base[label.split(" ")[0] if label != "first fetch" else label].append(wall)
            if label != "first fetch":
                base_cpus.append(cpu)
            print(
                f"baseline {label:11s}: {wall:6.2f} s  ({args.feeds / wall:7.0f} "
                f"feeds/s, {items / wall:7.0f} items/s; CPU {cpu:.2f} s)"
            )
        ours, theirs = median(figures["refresh"]), median(base["refresh"])
        print(f"refresh, median of {args.rounds}: renkei {ours:.2f} s, baseline {theirs:.2f} s")
        # Wall figures move with whatever else the machine runs; CPU time much less.
        ours_cpu, theirs_cpu = median(cpus["refresh"]), median(base_cpus)
        print(
            f"refresh CPU, median of {args.rounds}: renkei {ours_cpu:.2f} s "
            f"({ours_cpu * 1000 / args.feeds:.2f} ms/feed), baseline {theirs_cpu:.2f} s "
            f"({theirs_cpu * 1000 / args.feeds:.2f} ms/feed): {theirs_cpu / ours_cpu:.1f}x"
        )
        print(
            f"speed-up vs sequential httpx: first fetch "
            f"{base['first fetch'][0] / figures['first fetch'][0]:.1f}x, "
            f"refresh {theirs / ours:.1f}x (median of {args.rounds}; target at 0 ms: >= 8x)"
        )
    server.terminate()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
