"""Head rotation from FLAME's global axis-angle: a unit quaternion and Euler angles in degrees."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def head_rotation(global_rotvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quaternion and Euler angles of the head.

    FLAME's frame: y up, x the face's left, the face looking along +z.

    Args:
        global_rotvec: (3,) global axis-angle, radians (``Frame.pose[:3]``).
    Returns:
        quaternion: (4,) float32 ``(x, y, z, w)``, w >= 0.
        euler: (3,) float32 degrees ``(pitch, yaw, roll)``: pitch about x (positive looks down),
            yaw about y (positive turns toward the face's left), roll about z; composed as
            R = R_y(yaw) · R_x(pitch) · R_z(roll).
    """
    rotation = Rotation.from_rotvec(np.asarray(global_rotvec, dtype=np.float64))
    quaternion = rotation.as_quat()  # scipy's scalar-last (x, y, z, w)
    if quaternion[3] < 0:
        quaternion = -quaternion
    yaw, pitch, roll = rotation.as_euler("YXZ", degrees=True)
    return quaternion.astype(np.float32), np.array([pitch, yaw, roll], dtype=np.float32)
