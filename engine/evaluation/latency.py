"""Streaming latency for ``posetalk eval``: ``posetalk bench`` run as a subprocess.

A subprocess, not a call: the benchmark computes on a worker thread and needs the main thread to
have run no tensor code (:mod:`posetalk.stream.threads`), which an evaluation has done by then.
The benchmark runs with its defaults (the streaming defaults, 20 s of the bundled speech sample
paced in real time), without its offline reference (``--no-reference``: the evaluation compares
streaming and offline itself), on the evaluated model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH_TIMEOUT_S = 600.0
REPORTED = ("latency_ms", "tick_ms", "rtf", "deadline_misses", "skipped_frames", "failed_ticks", "frames",
            "expected_frames")
"""The fields of the benchmark's report (:class:`posetalk.stream.bench.BenchReport`) kept."""


def bench_command(model_dir: Path | None, head_window: bool = False) -> list[str]:
    """The ``posetalk bench`` command line: the model folder when one is given, else none (the
    benchmark's default model); ``--head-window`` when the evaluated stream has one."""
    command = [sys.executable, "-m", "posetalk", "bench", "--no-reference", "--json"]
    command += ["--head-window"] if head_window else []
    return command + (["--model-dir", str(Path(model_dir).resolve())] if model_dir is not None else [])


def run_latency(model_dir: Path | None, head_window: bool = False, timeout: float = BENCH_TIMEOUT_S) -> dict:
    """:data:`REPORTED` fields of the benchmark, or ``{"error": message}`` when it fails (an
    evaluation that has run for minutes should still report its other sections); with the
    machine's 1-minute load average and core count when it started (real-time numbers mean
    little on a machine busy with other work)."""
    command = bench_command(model_dir, head_window)
    machine = {"load_average": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"posetalk bench did not finish in {timeout:.0f} s", **machine}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"error": f"posetalk bench failed: {reason}", **machine}
    try:
        report = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"posetalk bench printed no JSON report: {lines[-1][:200]}", **machine}
    return {**{key: report[key] for key in REPORTED}, **machine}
