"""Running a :class:`StreamServer` on its own thread, next to a window that owns the main thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from posetalk.server.app import StreamServer


class BackgroundServer:
    """The server's event loop on a daemon thread; :meth:`stop` cancels it and joins."""

    def __init__(self, server: StreamServer) -> None:
        self.server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, on_listening: Callable[[int], None] | None = None, timeout: float = 10.0) -> int:
        """Start serving; return the bound port once listening."""
        listening = threading.Event()

        def announce(port: int) -> None:
            listening.set()
            if on_listening is not None:
                on_listening(port)

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            await self.server.run(on_listening=announce)

        def run() -> None:
            try:
                asyncio.run(main())
            except asyncio.CancelledError:
                pass
            except BaseException as error:  # reported by start() or stop()
                self.error = error
            finally:
                listening.set()

        self._thread = threading.Thread(target=run, name="posetalk-server", daemon=True)
        self._thread.start()
        listening.wait(timeout)
        if self.error is not None:
            raise self.error
        if self.server.port is None:
            raise RuntimeError("the server did not start listening")
        return self.server.port

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
