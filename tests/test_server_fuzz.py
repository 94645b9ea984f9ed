"""Fuzzed client input: whatever a client sends, it gets one ``error`` (or a normal reply) and the
server keeps serving everyone."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from tests.stream_support import paused_playback, running_server

KNOWN_TYPES = ["subscribe", "control", "audio_start", "audio_end", "frame", "hello"]
FIELDS = ["type", "channels", "format", "action", "token", "id", "shape", "blend", "style", "audio", "sample_rate", "encoding"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["flame", "arkit", "vertices", "json", "binary", "pause", "shape", "style", "pcm_s16le"]),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=24,
)  # fmt: skip
json_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=6)
typed_objects = st.builds(lambda kind, rest: {**rest, "type": kind}, st.sampled_from(KNOWN_TYPES), json_objects)
messages = (
    st.text(max_size=300)
    | st.binary(max_size=300)
    | json_objects.map(json.dumps)
    | typed_objects.map(json.dumps)
    | st.integers(1, 400).map(lambda depth: "[" * depth + "]" * depth)
)


@pytest.fixture(scope="module")
def server_port() -> Iterator[int]:
    """A server on its own event-loop thread, shared by every example."""
    ready = threading.Event()
    state: dict = {}

    def main() -> None:
        async def serve() -> None:
            async with running_server(paused_playback(10)) as server:
                state.update(server=server, loop=asyncio.get_running_loop(), stop=asyncio.Event())
                ready.set()
                await state["stop"].wait()

        asyncio.run(serve())

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(30)
    yield state["server"].port
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(30)


@pytest.fixture(scope="module")
def connection(server_port: int) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{server_port}/") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        yield ws


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=messages)
def test_any_message_gets_exactly_one_reply(connection: ClientConnection, message: str | bytes) -> None:
    connection.send(message)
    reply = json.loads(connection.recv(timeout=10))
    assert reply["type"] in ("error", "subscribed", "ack", "utterance")
    if reply["type"] == "error":
        assert isinstance(reply["code"], str) and isinstance(reply["message"], str)


def test_the_server_still_serves_after_the_fuzzing(server_port: int, connection: ClientConnection) -> None:
    with connect(f"ws://127.0.0.1:{server_port}/") as fresh:
        assert json.loads(fresh.recv(timeout=10))["type"] == "hello"
        fresh.send(json.dumps({"type": "subscribe", "channels": ["flame"], "format": "binary"}))
        assert json.loads(fresh.recv(timeout=10))["type"] == "subscribed"
