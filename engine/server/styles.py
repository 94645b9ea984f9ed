"""Style presets by name, and the weighted blends that ``style`` control messages ask for."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.server.protocol import ProtocolError


def blend_styles(styles: Mapping[str, np.ndarray], blend: Mapping[str, float], request_id: int | str | None) -> np.ndarray:
    """(d_style,) float32 ``Σ w_i · style_i / Σ w_i`` over the named presets.

    Raises ProtocolError("bad_message") naming the first unknown preset.
    """
    unknown = sorted(set(blend) - set(styles))
    if unknown:
        raise ProtocolError("bad_message", f"unknown style {unknown[0]!r} (known: {', '.join(sorted(styles))})", request_id)
    total = sum(blend.values())
    return np.asarray(sum(styles[name] * (weight / total) for name, weight in blend.items()), dtype=np.float32)
