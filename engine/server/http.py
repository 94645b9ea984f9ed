"""The HTTP side of the server's port: health, the head mesh and the viewer's static files.

Everything here answers in ``process_request`` (python-websockets: returning a response there
ends the request without a WebSocket handshake).
"""

from __future__ import annotations

import json
import mimetypes
from http import HTTPStatus
from pathlib import Path
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Response


def response(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ]
    )
    return Response(status.value, status.phrase, headers, body)


def json_response(body: Any, status: HTTPStatus = HTTPStatus.OK) -> Response:
    return response(status, json.dumps(body).encode(), "application/json")


def error_response(status: HTTPStatus, message: str) -> Response:
    return response(status, f"{message}\n".encode(), "text/plain; charset=utf-8")


def static_response(root: Path, url_path: str) -> Response:
    """The file at ``url_path`` under ``root`` (``/`` is ``index.html``); 404 outside ``root``."""
    relative = url_path.lstrip("/") or "index.html"
    root = root.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return error_response(HTTPStatus.NOT_FOUND, "not found")
    content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return response(HTTPStatus.OK, candidate.read_bytes(), content_type)
