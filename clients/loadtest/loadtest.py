"""Load test for `posetalk serve`: N clients for S seconds, plus clients that never read.

    python clients/loadtest/loadtest.py --clients 50 --stalled 2 --seconds 60 -- \\
        --source engine/data/speech_sample.flac --loop --model-dir MODEL_DIR

Everything after ``--`` is passed to ``posetalk serve`` (started here on a free port, so its memory
can be sampled from /proc); or give ``--url`` and ``--pid`` of a running server. Reports, per
reading client: frames received, frames out of order, gaps in ``seq`` (missing frames between its
first and last), and the server's own drop count; for stalled clients, whether the server shed
them; and the server's resident memory (and client count) once a second.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from posetalk_client import open_stream  # noqa: E402


@dataclass
class ReaderResult:
    format: str
    seqs: list[int] = field(default_factory=list)

    @property
    def out_of_order(self) -> int:
        return sum(b <= a for a, b in zip(self.seqs, self.seqs[1:]))

    @property
    def missing(self) -> int:
        if not self.seqs:
            return 0
        return (self.seqs[-1] - self.seqs[0] + 1) - len(set(self.seqs))


async def reader(url: str, fmt: str, channels: list[str], stop: asyncio.Event) -> ReaderResult:
    result = ReaderResult(fmt)
    async with open_stream(url, queue_frames=100_000) as stream:
        await stream.subscribe(channels, format=fmt)  # type: ignore[arg-type]
        frames = stream.frames()
        while not stop.is_set():
            waiting = asyncio.ensure_future(anext(frames))
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if waiting not in done:
                waiting.cancel()
                break
            stopping.cancel()
            try:
                result.seqs.append(waiting.result().seq)
            except StopAsyncIteration:
                break
    return result


def stalled_client(host: str, port: int) -> socket.socket:
    """Handshake, subscribe to everything, then never read (a tiny receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    payload = json.dumps({"type": "subscribe", "channels": ["flame", "arkit", "vrm", "head"], "format": "json"}).encode()
    mask = os.urandom(4)
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return sock


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def health(host: str, port: int) -> dict:
    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as answer:
        return json.loads(answer.read())


def start_server(serve_args: list[str]) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "posetalk", "serve", "--port", "0", "--max-clients", "256", *serve_args],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        print(line, end="", file=sys.stderr)
        found = re.search(r"ws://[^:]+:(\d+)/", line)
        if found:
            return process, int(found.group(1))
    raise SystemExit(f"posetalk serve exited ({process.wait()}) before listening")


async def run(args: argparse.Namespace, host: str, port: int, pid: int | None) -> dict:
    url = f"ws://{host}:{port}/"
    stop = asyncio.Event()
    channels = args.channels.split(",")
    formats = ["json", "binary"] if args.format == "both" else [args.format]
    readers = [asyncio.create_task(reader(url, formats[i % len(formats)], channels, stop)) for i in range(args.clients)]
    stalled = [await asyncio.to_thread(stalled_client, host, port) for _ in range(args.stalled)]
    samples = []
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        state = await asyncio.to_thread(health, host, port)
        samples.append(
            {
                "t": round(time.monotonic() - start, 1),
                "rss_mib": round(rss_mib(pid), 1) if pid else None,
                "clients": state["clients"],
                "seq": state["seq"],
                "dropped": state["dropped"],
            }
        )
        await asyncio.sleep(1.0)
    stop.set()
    results = await asyncio.gather(*readers)
    final = await asyncio.to_thread(health, host, port)
    for sock in stalled:
        sock.close()
    return {"results": results, "samples": samples, "final": final}


def report(args: argparse.Namespace, outcome: dict) -> None:
    results: list[ReaderResult] = outcome["results"]
    samples = outcome["samples"]
    print(f"\n{args.clients} reading clients ({args.format}), {args.stalled} stalled, {args.seconds:.0f} s, channels {args.channels}")
    received = [len(r.seqs) for r in results]
    print(f"frames received per client: min {min(received)}, max {max(received)}, total {sum(received)}")
    print(f"clients with frames out of order: {sum(r.out_of_order > 0 for r in results)}")
    print(f"clients with gaps in seq: {sum(r.missing > 0 for r in results)} (missing frames: {sum(r.missing for r in results)})")
    print(f"server-side drops while the readers were connected (health, last sample): {samples[-1]['dropped']}")
    # Shed: once every client was connected, the count fell back to the readers alone.
    full = next((i for i, s in enumerate(samples) if s["clients"] >= args.clients + args.stalled), len(samples))
    shed_at = next((s["t"] for s in samples[full:] if s["clients"] <= args.clients), None)
    print(f"stalled clients shed: {'yes, by t = %s s' % shed_at if shed_at is not None else 'NO'}")
    rss = [s["rss_mib"] for s in samples if s["rss_mib"] is not None]
    if rss:
        settled = rss[len(rss) // 6 :]
        print(f"server RSS MiB: first {rss[0]}, min {min(rss)}, max {max(rss)}, last {rss[-1]}; "
              f"after the first sixth: {min(settled)}..{max(settled)} (spread {max(settled) - min(settled):.1f})")
    print("\n   t(s)  RSS(MiB)  clients     seq  dropped")
    for sample in samples[:: max(1, len(samples) // 12)] + [samples[-1]]:
        print(f"{sample['t']:7.1f}  {sample['rss_mib']!s:>8}  {sample['clients']:7d}  {sample['seq']:6d}  {sample['dropped']:7d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="reading clients")
    parser.add_argument("--stalled", type=int, default=2, help="clients that never read")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--format", choices=("json", "binary", "both"), default="both")
    parser.add_argument("--channels", default="flame,arkit,vrm,head")
    parser.add_argument("--url", help="a running server (ws://host:port/) instead of starting one")
    parser.add_argument("--pid", type=int, help="its process id, for memory samples")
    parser.add_argument("serve_args", nargs=argparse.REMAINDER, help="-- then `posetalk serve` options")
    args = parser.parse_args()
    serve_args = args.serve_args[1:] if args.serve_args[:1] == ["--"] else args.serve_args
    process = None
    if args.url:
        found = re.match(r"ws://([^:/]+):(\d+)", args.url)
        if not found:
            parser.error("--url must look like ws://host:port/")
        host, port, pid = found.group(1), int(found.group(2)), args.pid
    else:
        process, port = start_server(serve_args)
        host, pid = "127.0.0.1", process.pid
    try:
        outcome = asyncio.run(run(args, host, port, pid))
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
    report(args, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
