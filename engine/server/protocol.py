"""Protocol v1 (docs/protocol.md): constants, the client messages and their validation.

Client text messages are JSON objects with a ``type``; :func:`parse_message` turns one into a
frozen dataclass or raises :class:`ProtocolError` with one of :data:`ERROR_CODES`. Nothing here
touches the network; the server decides what to do with a parsed message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

PROTOCOL_VERSION = 1

Channel = Literal["flame", "arkit", "vrm", "head", "vertices"]
Format = Literal["json", "binary"]
ControlAction = Literal["pause", "resume", "style", "guidance", "shape"]
AudioEncoding = Literal["pcm_s16le", "pcm_f32le"]

CHANNELS: tuple[Channel, ...] = ("flame", "arkit", "vrm", "head", "vertices")
FORMATS: tuple[Format, ...] = ("json", "binary")
CONTROL_ACTIONS: tuple[ControlAction, ...] = ("pause", "resume", "style", "guidance", "shape")
AUDIO_ENCODINGS: tuple[AudioEncoding, ...] = ("pcm_s16le", "pcm_f32le")
AUDIO_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
N_SHAPE = 100

ERROR_CODES = (
    "bad_json",  # a text message that is not a JSON object
    "bad_message",  # a known type with missing or invalid fields
    "unknown_type",  # a type this protocol version does not define
    "too_large",  # a message over the protocol's size limit for its kind
    "unauthorized",  # a control or audio message without the server's token
    "unsupported",  # a valid request the current source cannot honour
    "bad_state",  # a message out of order (audio without audio_start, ...)
    "server_full",  # the client limit is reached; the server closes the connection
)


class ProtocolError(Exception):
    """A client message the server rejects; becomes an ``error`` message to that client."""

    def __init__(self, code: str, message: str, request_id: int | str | None = None) -> None:
        super().__init__(message)
        assert code in ERROR_CODES, code
        self.code = code
        self.message = message
        self.request_id = request_id

    def to_message(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.request_id is not None:
            reply["id"] = self.request_id
        return reply


@dataclass(frozen=True)
class Subscribe:
    channels: tuple[Channel, ...]
    format: Format


@dataclass(frozen=True)
class Control:
    """A control request; ``params`` holds the action's validated fields (see docs/protocol.md)."""

    action: ControlAction
    token: str | None
    request_id: int | str | None
    params: dict[str, Any]


@dataclass(frozen=True)
class AudioStart:
    token: str | None
    sample_rate: int
    encoding: AudioEncoding


@dataclass(frozen=True)
class AudioEnd:
    pass


ClientMessage = Subscribe | Control | AudioStart | AudioEnd


def _field(message: dict[str, Any], name: str, kind: type | tuple[type, ...], request_id: Any = None) -> Any:
    value = message.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProtocolError("bad_message", f"field {name!r} missing or of the wrong type", request_id)
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _request_id(message: dict[str, Any]) -> int | str | None:
    value = message.get("id")
    if value is None or isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    raise ProtocolError("bad_message", "field 'id' must be an integer or a string")


def _token(message: dict[str, Any], request_id: Any) -> str | None:
    token = message.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("bad_message", "field 'token' must be a string", request_id)
    return token


def _parse_subscribe(message: dict[str, Any]) -> Subscribe:
    channels = _field(message, "channels", list)
    if not channels or any(channel not in CHANNELS for channel in channels):
        raise ProtocolError("bad_message", f"channels must be a non-empty list of {', '.join(CHANNELS)}")
    fmt = message.get("format", "json")
    if fmt not in FORMATS:
        raise ProtocolError("bad_message", "format must be 'json' or 'binary'")
    return Subscribe(channels=tuple(dict.fromkeys(channels)), format=fmt)


def _control_params(action: ControlAction, message: dict[str, Any], request_id: Any) -> dict[str, Any]:
    if action == "style":
        blend = message.get("blend")
        if isinstance(message.get("style"), str):
            blend = {message["style"]: 1.0}
        if (
            not isinstance(blend, dict)
            or not blend
            or not all(isinstance(k, str) and _number(v) and v >= 0 for k, v in blend.items())
            or sum(blend.values()) <= 0
        ):
            raise ProtocolError(
                "bad_message", "style needs 'style': name or 'blend': {name: weight >= 0}", request_id
            )
        return {"blend": {name: float(weight) for name, weight in blend.items()}}
    if action == "guidance":
        scales = {key: message[key] for key in ("audio", "style") if key in message}
        if not scales or not all(_number(v) and 0 <= v <= 20 for v in scales.values()):
            raise ProtocolError("bad_message", "guidance needs 'audio' and/or 'style' in [0, 20]", request_id)
        return {key: float(value) for key, value in scales.items()}
    if action == "shape":
        shape = message.get("shape")
        if shape is not None and (
            not isinstance(shape, list) or len(shape) != N_SHAPE or not all(_number(v) for v in shape)
        ):
            raise ProtocolError("bad_message", f"shape must be null or a list of {N_SHAPE} numbers", request_id)
        return {"shape": shape}
    return {}


def _parse_control(message: dict[str, Any]) -> Control:
    request_id = _request_id(message)
    action = message.get("action")
    if action not in CONTROL_ACTIONS:
        raise ProtocolError("bad_message", f"action must be one of {', '.join(CONTROL_ACTIONS)}", request_id)
    return Control(
        action=action,
        token=_token(message, request_id),
        request_id=request_id,
        params=_control_params(action, message, request_id),
    )


def _parse_audio_start(message: dict[str, Any]) -> AudioStart:
    rate = message.get("sample_rate", 16000)
    encoding = message.get("encoding", "pcm_s16le")
    if rate not in AUDIO_RATES or isinstance(rate, bool):
        raise ProtocolError("bad_message", f"sample_rate must be one of {AUDIO_RATES}")
    if encoding not in AUDIO_ENCODINGS:
        raise ProtocolError("bad_message", f"encoding must be one of {', '.join(AUDIO_ENCODINGS)}")
    if message.get("channels", 1) != 1:
        raise ProtocolError("bad_message", "audio must be mono (channels: 1)")
    return AudioStart(token=_token(message, None), sample_rate=int(rate), encoding=encoding)


def parse_message(text: str) -> ClientMessage:
    """Parse one client text message; raise :class:`ProtocolError` if it is not valid v1."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "message is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_json", "message must be a JSON object")
    kind = message.get("type")
    if kind == "subscribe":
        return _parse_subscribe(message)
    if kind == "control":
        return _parse_control(message)
    if kind == "audio_start":
        return _parse_audio_start(message)
    if kind == "audio_end":
        return AudioEnd()
    raise ProtocolError("unknown_type", f"unknown message type {str(kind)[:40]!r}")
