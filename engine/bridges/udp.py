"""UDP receivers' addresses (the VMC and iFacialMocap bridges): checked early, resolved once,
and every mistake a one-line :class:`~posetalk.errors.PosetalkError` that names the receiver."""

from __future__ import annotations

import socket

from posetalk.errors import PosetalkError


def check_target(host: str, port: int, receiver: str) -> None:
    """Raises:
        PosetalkError: an empty host or a port outside 1-65535 (``receiver`` names it, e.g. "VMC").
    """
    if not 0 < port < 65536:
        raise PosetalkError(f"the {receiver} port must be 1-65535, got {port}")
    if not host:
        raise PosetalkError(f"the {receiver} host is empty")


def resolve_target(host: str, port: int, receiver: str) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """The address family and the (IP, port) datagrams to ``host``:``port`` go to.

    Raises:
        PosetalkError: the host is not a host name, or does not resolve.
    """
    try:
        family, *_, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except UnicodeError:  # from the IDNA codec: an empty label, or one longer than 63 characters
        raise PosetalkError(f"the {receiver} host {host!r} is not a host name") from None
    except socket.gaierror as error:
        raise PosetalkError(f"the {receiver} host {host!r} does not resolve ({error.strerror})") from None
    return family, (address[0], address[1])
