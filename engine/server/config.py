"""Server configuration."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


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
