"""CPU threads for a model that computes on a worker thread.

PyTorch's CPU kernels run on OpenMP teams, one team per thread that starts parallel work. Once the
main thread has a team, libgomp manages more threads than there are cores and throttles the
spin-waiting of every team, so the worker's small kernels wake up slowly: on a 2-core machine a
streaming tick took 65 ms on the scheduler thread against 38 ms on the main thread. Keeping the
main thread serial (before it runs any tensor code) leaves the worker as the only team.
"""

from __future__ import annotations

import torch


def reserve_cores_for_worker(threads: int | None = None) -> int:
    """Make the calling (main) thread single-threaded; return the threads a worker should use.

    Call it before the main thread runs any tensor code; pass the result to the worker, which
    calls :func:`use_threads` first thing.
    """
    wanted = threads or torch.get_num_threads()
    torch.set_num_threads(1)
    return wanted


def use_threads(threads: int) -> None:
    """Give the calling (worker) thread ``threads`` intra-op threads."""
    torch.set_num_threads(threads)
