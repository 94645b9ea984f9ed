"""Cross-stream batching: the ticks of many streams run by one worker, those due together in one
batch (one speech-encoder call and one denoiser call per step for all of them).

Each stream's scheduler thread still waits for its own audio and hands its tick over with
:meth:`TickBatcher.run`, which blocks until the tick is done. Ticks are grouped by deadline: the
worker, given the most urgent waiting tick, gathers the ticks of other streams for up to one budget
(frames per tick / fps) after that tick's audio arrived, or until every stream has one in, then
runs them all through :meth:`StreamGenerator.tick_many`. Streams whose audio arrives out of step
thus share batches instead of queueing behind each other's ticks.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from posetalk.stream.generator import StreamGenerator, StreamState, TickOutput, TickRequest
from posetalk.stream.threads import use_threads

MAX_BATCH = 64
"""Most ticks in one batch (a bound on memory; far above what a CPU carries in real time)."""


@dataclass
class BatcherStats:
    """What the worker did: batches run, their sizes and compute times (milliseconds)."""

    batches: int = 0
    ticks: int = 0
    busy_s: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)
    batch_ms: list[float] = field(default_factory=list)


class TickBatcher:
    """Runs ticks handed over by any number of streams of one generator (one model, one
    configuration), on one worker thread.

    Args:
        generator: the streams' generator; every engine using the batcher must use it.
        threads: intra-op CPU threads of the worker (None leaves torch's setting).
        max_batch: most ticks in one batch.
    """

    def __init__(self, generator: StreamGenerator, threads: int | None = None, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.generator, self.threads, self.max_batch = generator, threads, max_batch
        self.stats = BatcherStats()
        self._waiting: queue.Queue[tuple[float, TickRequest, Future]] = queue.Queue()
        self._stop = threading.Event()
        self._streams = 0
        self._streams_lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def start(self) -> None:
        self._worker = threading.Thread(target=self._work, name="posetalk-batcher", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout=5)

    def run(self, request: TickRequest) -> tuple[TickOutput, StreamState]:
        """The tick's frames and next state, computed in a batch with whatever else is due; raises
        what the tick raised. Blocks until done (or raises RuntimeError once the batcher has stopped)."""
        done: Future = Future()
        arrived = request.ring.arrival_time(request.plan.audio_end - 1)
        self._waiting.put((time.monotonic() if arrived is None else arrived, request, done))
        while not self._stop.is_set():
            try:
                return done.result(timeout=0.1)
            except TimeoutError:
                continue
        raise RuntimeError("the tick batcher has stopped")

    def attach(self) -> None:
        """A stream starts handing over ticks (the worker stops gathering once all have)."""
        with self._streams_lock:
            self._streams += 1

    def detach(self) -> None:
        with self._streams_lock:
            self._streams -= 1

    def _gather_until(self, first_arrival: float) -> float:
        """When the batch must start: one budget (the first tick's frames' worth of audio) after that
        tick's audio arrived. Streams tick once a budget, so by then every stream in step has one in;
        waiting less (budget minus the batch's compute) left batches half full and measured worse
        (docs/benchmarks.md)."""
        config = self.generator.config
        budget = config.frames_per_tick / self.generator.model_config.fps
        return first_arrival + budget

    def _take(self) -> list[tuple[float, TickRequest, Future]]:
        """The ticks of the next batch, most urgent first: the first waiting tick, and every
        other that arrives while the first can still wait (or until every stream has one in),
        up to max_batch; the rest wait for the next batch."""
        try:
            waiting = [self._waiting.get(timeout=0.1)]
        except queue.Empty:
            return []
        start_by = self._gather_until(waiting[0][0])
        while len(waiting) < min(self._streams, self.max_batch):
            try:
                waiting.append(self._waiting.get(timeout=max(0.0, start_by - time.monotonic())))
            except queue.Empty:
                break
        while True:
            try:
                waiting.append(self._waiting.get_nowait())
            except queue.Empty:
                break
        waiting.sort(key=lambda item: item[0])
        for item in waiting[self.max_batch :]:
            self._waiting.put(item)
        return waiting[: self.max_batch]

    def _work(self) -> None:
        if self.threads is not None:
            use_threads(self.threads)
        while not self._stop.is_set():
            batch = self._take()
            if not batch:
                continue
            started = time.perf_counter()
            try:
                results = self.generator.tick_many([request for _, request, _ in batch])
            except Exception as error:  # the worker must outlive any batch
                results = [error] * len(batch)
            elapsed = time.perf_counter() - started
            stats = self.stats
            stats.batches += 1
            stats.ticks += len(batch)
            stats.busy_s += elapsed
            stats.batch_sizes.append(len(batch))
            stats.batch_ms.append(elapsed * 1000)
            for (_, _, done), result in zip(batch, results):
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)
