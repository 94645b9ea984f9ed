"""Server configuration."""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from posetalk.errors import PosetalkError


@dataclass(frozen=True)
class ServerConfig:
    """How ``posetalk serve`` listens and protects itself.

    Attributes:
        host: interface to bind; loopback by default.
        port: TCP port; 0 picks a free one (tests).
        token: the control token; also required to connect when ``host`` is not loopback.
            None refuses every control and audio message.
        allowed_origins: browser origins allowed besides the server's own (``http://host:port``).
        max_clients: connections beyond this get a ``server_full`` error and are closed.
        queue_frames: frames queued per client before its oldest are dropped (2 s at 25 fps).
        stall_timeout_s: a client whose send makes no progress this long is disconnected.
        max_text_bytes: largest accepted client text message.
        max_audio_chunk_bytes: largest accepted binary (audio) message.
        static_dir: the browser viewer's files served over HTTP, or None.
        socket_send_buffer: kernel send buffer per connection, bytes: small, so a client that
            stops reading backs up into its bounded queue (and is detected) within a second or
            two instead of hiding megabytes of stale frames in the kernel.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    max_clients: int = 64
    queue_frames: int = 50
    stall_timeout_s: float = 5.0
    max_text_bytes: int = 64 * 1024
    max_audio_chunk_bytes: int = 1024 * 1024
    static_dir: Path | None = None
    socket_send_buffer: int = 64 * 1024

    def __post_init__(self) -> None:
        """Raises:
            PosetalkError: a port outside 0-65535, no clients or queued frames allowed, or a
                stall timeout that is not positive.
        """
        if not 0 <= self.port < 65536:
            raise PosetalkError(f"the server port must be 0-65535 (0 picks a free one), got {self.port}")
        if self.max_clients < 1 or self.queue_frames < 1:
            raise PosetalkError(f"max clients and queued frames must be at least 1, got {self.max_clients} "
                                f"and {self.queue_frames}")
        if self.stall_timeout_s <= 0:
            raise PosetalkError(f"the stall timeout must be positive, got {self.stall_timeout_s} s")

    @property
    def loopback_only(self) -> bool:
        return is_loopback(self.host)

    @property
    def websocket_max_size(self) -> int:
        """The transport limit: larger messages close the connection (code 1009) unread."""
        return 4 * max(self.max_text_bytes, self.max_audio_chunk_bytes)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen_error(host: str, port: int, error: OSError) -> str:
    """The one-line reason the server cannot listen on ``host:port``, with what to do."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; pick another with --port (0 picks a free one)"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} of {host}; use a port above 1023"
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host!r}: not an address of this machine (--host)"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"
