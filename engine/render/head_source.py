"""Which head to draw: a user's FLAME file (optionally textured) or the built-in head."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.render.geometry import Albedo, HeadGeometry, head_geometry


def _read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an image file (any format FFmpeg decodes)."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            return frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, StopIteration, OSError) as error:
        raise PosetalkError(f"{path}: not a readable image ({error})") from None


def _read_uv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """FLAME texture coordinates: vt (T, 2) and ft (F, 3) from an .npz (e.g. FLAME_texture.npz)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return np.asarray(data["vt"], dtype=np.float32), np.asarray(data["ft"], dtype=np.int64)
    except KeyError as error:
        raise PosetalkError(f"{path}: UV file lacks {error}") from None
    except UNREADABLE_ARRAY_FILE as error:
        raise PosetalkError(f"{path}: not a readable UV .npz ({error})") from None


def load_head(
    flame: Path | None, albedo: Path | None = None, uv: Path | None = None
) -> tuple[HeadGeometry, str]:
    """The head to render and a one-line description of it."""
    if (albedo is None) != (uv is None):
        raise PosetalkError("--albedo and --uv go together (the texture and its FLAME UV layout)")
    if flame is None:
        if albedo is not None:
            raise PosetalkError("--albedo needs --flame: the built-in head has no FLAME UVs")
        from posetalk.rig.head import built_in_head

        head = built_in_head()
        return head_geometry(head.model, head.colors), "built-in head (no --flame given)"
    from posetalk.rig.flame import load_flame

    model = load_flame(flame)
    texture = None
    if albedo is not None:
        vt, ft = _read_uv(uv)
        texture = Albedo(image=_read_image(albedo), uv=vt, uv_faces=ft)
    return head_geometry(model, albedo=texture), f"FLAME model {flame}"
