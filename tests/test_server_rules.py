"""Admission and authorisation rules, HTTP routes, and the error replies of protocol v1."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.stream_support import TOKEN, paused_playback, running_server, url

from posetalk_client import StreamError, open_stream  # noqa: E402


async def reply_to(server_url: str, message: str | bytes, **connect_args: object) -> dict:
    async with connect(server_url, **connect_args) as ws:  # type: ignore[arg-type]
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(message)
        return json.loads(await ws.recv())


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_controls_need_the_token() -> None:
    async def scenario() -> list[dict]:
        async with running_server(paused_playback(10)) as server:
            control = {"type": "control", "action": "resume", "id": 9}
            return [
                await reply_to(url(server), json.dumps(control)),
                await reply_to(url(server), json.dumps({**control, "token": "wrong"})),
                await reply_to(url(server), json.dumps({**control, "token": TOKEN})),
                await reply_to(url(server), json.dumps({**control, "action": "style", "style": "x", "token": TOKEN})),
            ]

    missing, wrong, right, unsupported = asyncio.run(scenario())
    assert missing == {"type": "error", "code": "unauthorized", "message": missing["message"], "id": 9}
    assert wrong["code"] == "unauthorized"
    assert right == {"type": "ack", "id": 9, "action": "resume", "paused": False}
    assert unsupported["code"] == "unsupported"


def test_a_server_without_token_refuses_every_control() -> None:
    async def scenario() -> dict:
        async with running_server(paused_playback(10), token=None) as server:
            return await reply_to(url(server), json.dumps({"type": "control", "action": "resume", "token": ""}))

    assert asyncio.run(scenario())["code"] == "unauthorized"


def test_beyond_loopback_every_connection_needs_the_token() -> None:
    async def scenario() -> None:
        async with running_server(paused_playback(10), host="0.0.0.0") as server:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url(server)):
                    pass
            assert refused.value.response.status_code == 401
            async with open_stream(url(server), token=TOKEN) as stream:
                assert stream.hello["protocol"] == 1
            async with connect(f"{url(server)}?token={TOKEN}") as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
            # A viewer page served by this server at a LAN address: same origin, with the token.
            async with connect(
                f"ws://192.168.1.20:{server.port}/?token={TOKEN}", origin=f"http://192.168.1.20:{server.port}",
                host="127.0.0.1", port=server.port,
            ) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
            for mesh in ("/mesh.json", "/mesh.glb"):
                status, _ = await asyncio.to_thread(http_get, server.port, mesh)
                assert status == 401
                status, _ = await asyncio.to_thread(http_get, server.port, f"{mesh}?token={TOKEN}")
                assert status == 200

    asyncio.run(scenario())


def test_browser_origins_are_checked() -> None:
    async def scenario() -> None:
        async with running_server(paused_playback(10), allowed_origins=("https://studio.example",)) as server:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url(server), origin="http://evil.example"):
                    pass
            assert refused.value.response.status_code == 403
            for origin in (f"http://127.0.0.1:{server.port}", "https://studio.example"):
                async with connect(url(server), origin=origin) as ws:
                    assert json.loads(await ws.recv())["type"] == "hello"
            # The page's own origin is the Host it asked for...
            own = f"http://localhost:{server.port}"
            async with connect(f"ws://localhost:{server.port}/", origin=own, host="127.0.0.1", port=server.port) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
            # ...but on loopback not a foreign name re-pointed at 127.0.0.1 (DNS rebinding).
            rebound = f"ws://evil.example:{server.port}/"
            with pytest.raises(InvalidStatus) as refused:
                async with connect(rebound, origin=f"http://evil.example:{server.port}", host="127.0.0.1", port=server.port):
                    pass
            assert refused.value.response.status_code == 403

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"no": "type"}', "unknown_type"),
        ('{"type": "subscribe", "channels": ["smell"]}', "bad_message"),
        ('{"type": "subscribe", "channels": ["flame"], "format": "xml"}', "bad_message"),
        ('{"type": "control", "action": "explode", "token": "test-token"}', "bad_message"),
        ('{"type": "control", "action": "shape", "shape": [1, 2], "token": "test-token"}', "bad_message"),
        ('{"type": "control", "action": "guidance", "audio": 1e9, "token": "test-token"}', "bad_message"),
        ('{"type": "audio_start", "token": "test-token"}', "unsupported"),
        ('{"type": "audio_end"}', "bad_state"),
        (b"\x00\x01", "bad_state"),
        ('{"type": "subscribe", "channels": ["flame"], "pad": "' + "x" * 70000 + '"}', "too_large"),
    ],
)
def test_bad_messages_get_error_replies(message: str | bytes, code: str) -> None:
    async def scenario() -> tuple[dict, dict]:
        async with running_server(paused_playback(10)) as server:
            error = await reply_to(url(server), message)
            # The connection and the server survive: the same kind of request works afterwards.
            ok = await reply_to(url(server), json.dumps({"type": "subscribe", "channels": ["flame"]}))
            return error, ok

    error, ok = asyncio.run(scenario())
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert ok["type"] == "subscribed"


def test_messages_beyond_the_transport_limit_close_only_that_connection() -> None:
    async def scenario() -> dict:
        async with running_server(paused_playback(10)) as server:
            ws = await connect(url(server), max_size=None)
            await ws.recv()
            try:
                await ws.send(b"\x00" * (server.config.websocket_max_size + 1))
                await asyncio.wait_for(ws.recv(), 10)
            except (ConnectionClosed, OSError):
                pass
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code is None or ws.close_code == 1009
            for _ in range(500):
                if not server.clients:
                    break
                await asyncio.sleep(0.01)
            assert not server.clients
            return await reply_to(url(server), json.dumps({"type": "subscribe", "channels": ["head"]}))

    assert asyncio.run(scenario())["type"] == "subscribed"


def test_http_routes() -> None:
    async def scenario(static_dir: object) -> None:
        async with running_server(paused_playback(10), static_dir=static_dir) as server:
            status, body = await asyncio.to_thread(http_get, server.port, "/healthz")
            health = json.loads(body)
            assert status == 200 and health["status"] == "ok" and health["source"] == "params"
            status, body = await asyncio.to_thread(http_get, server.port, "/mesh.json")
            mesh = json.loads(body)
            assert status == 200 and len(mesh["vertices"]) % 3 == 0 and len(mesh["faces"]) % 3 == 0
            status, body = await asyncio.to_thread(http_get, server.port, "/")
            assert status == 200 and body == b"<html>viewer</html>"
            status, _ = await asyncio.to_thread(http_get, server.port, "/../secret.txt")
            assert status == 404
            status, _ = await asyncio.to_thread(http_get, server.port, "/%2e%2e/secret.txt")
            assert status == 404

    def run(tmp: object) -> None:
        asyncio.run(scenario(tmp))

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "site").mkdir()
        (root / "site" / "index.html").write_text("<html>viewer</html>")
        (root / "secret.txt").write_text("secret")
        run(root / "site")


def test_subscribing_to_an_unknown_style_is_refused_by_the_client_library() -> None:
    async def scenario() -> None:
        async with running_server(paused_playback(10)) as server:
            async with open_stream(url(server)) as stream:
                with pytest.raises(StreamError) as refused:
                    await stream.control("style", TOKEN, 1, style="calm")
                assert refused.value.code == "unsupported"

    asyncio.run(scenario())


def test_a_handshake_with_repeated_headers_is_refused() -> None:
    def handshake(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "Origin: http://evil.example\r\n\r\n".encode()
            )
            return sock.recv(200)

    async def scenario() -> bytes:
        async with running_server(paused_playback(10)) as server:
            return await asyncio.to_thread(handshake, server.port)

    assert asyncio.run(scenario()).startswith(b"HTTP/1.1 400")
