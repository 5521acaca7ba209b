"""Face chips for the dlib face recogniser, without dlib.

Reproduces dlib's ``get_face_chip_details`` (5-point landmarks, 150x150, padding 0.25)
and ``extract_image_chip`` (image pyramid with dlib's 5-tap ``pyramid_down<2>`` when the
face is large, then bilinear sampling with a black border), so the torch recogniser sees
the chips dlib's own ``compute_face_descriptor`` sees. The 5 landmarks are dlib's
``shape_predictor_5_face_landmarks`` points; :func:`five_points_from_mesh` derives them
from MediaPipe's 468-point face mesh, which is what the product uses at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# dlib's 5-point template in the unit chip: outer/inner corner of the eye on the image's
# right, outer/inner corner of the eye on the image's left, bottom of the nose.
FIVE_POINT_TEMPLATE = np.array(
    [
        (0.8595674595992, 0.2134981538014),
        (0.6460604764104, 0.2289674387677),
        (0.1205750620789, 0.2137274526848),
        (0.3340850613712, 0.2290642403242),
        (0.4901123135679, 0.6277975316475),
    ]
)
# MediaPipe face-mesh indices of the same five points.
MESH_FIVE_POINTS = (263, 362, 33, 133, 2)


def five_points_from_mesh(landmarks: np.ndarray) -> np.ndarray:
    """dlib's five alignment points from (468, 2) MediaPipe landmarks (pixel x, y)."""
    return np.asarray(landmarks, np.float64)[list(MESH_FIVE_POINTS), :2]


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama) mapping ``src`` points onto ``dst``, as 2x3."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rot = u @ sign @ vt
    scale = np.trace(np.diag(sig) @ sign) / ((s**2).sum() / len(src))
    return np.hstack([scale * rot, (mu_d - scale * rot @ mu_s)[:, None]])


def _affine3(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The exact affine map (2x3) taking three ``src`` points to three ``dst`` points."""
    a = np.hstack([np.asarray(src, np.float64), np.ones((3, 1))])
    return np.linalg.solve(a, np.asarray(dst, np.float64)).T


@dataclass(frozen=True)
class ChipDetails:
    """dlib's chip_details: a rectangle (l, t, r, b) rotated by ``angle`` about its centre."""

    rect: tuple[float, float, float, float]
    angle: float
    size: int

    def corners(self, rect: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """Top-left, top-right and bottom-left corners of ``rect`` (default: own), rotated."""
        l, t, r, b = rect or self.rect
        centre = np.array([(l + r) / 2, (t + b) / 2])
        c, s = math.cos(self.angle), math.sin(self.angle)
        rot = np.array([[c, -s], [s, c]])
        pts = np.array([(l, t), (r, t), (l, b)], np.float64)
        return (pts - centre) @ rot.T + centre


def chip_details(points5: np.ndarray, size: int = 150, padding: float = 0.25) -> ChipDetails:
    """Where dlib's ``get_face_chip(img, shape, size, padding)`` samples from the image."""
    chip_points = (padding + FIVE_POINT_TEMPLATE) / (2 * padding + 1) * size
    m = similarity_transform(chip_points, points5)
    px, py = m[:, 0]
    centre = m @ np.array([size / 2.0, size / 2.0, 1.0])
    half = (size * math.hypot(px, py) - 1) / 2  # dlib's centered_drect(p, w, h)
    rect = (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)
    return ChipDetails(rect, math.atan2(py, px), size)


def _area(rect: tuple[float, float, float, float]) -> float:
    l, t, r, b = rect
    return 0.0 if (t > b or l > r) else (r - l + 1) * (b - t + 1)


def _rect_down(rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    l, t, r, b = rect  # pyramid_down<2>::point_down(p) = p/2 - (1.25, 0.75)
    return (l / 2 - 1.25, t / 2 - 0.75, r / 2 - 1.25, b / 2 - 0.75)


def pyramid_down(image: np.ndarray) -> np.ndarray:
    """dlib's ``pyramid_down<2>`` on a uint8 image: 5-tap [1 4 6 4 1] filter, drop half."""
    img = image.astype(np.int32)
    h, w = img.shape[:2]
    out_w, out_h = (w - 3) // 2, (h - 3) // 2
    k = (1, 4, 6, 4, 1)
    rows = sum(k[i] * img[:, i : i + 2 * out_w : 2] for i in range(5))
    cols = sum(k[i] * rows[i : i + 2 * out_h : 2] for i in range(5))
    return (cols // 256).astype(np.uint8)


def _bilinear(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """dlib's interpolate_bilinear with a black background; truncates to uint8."""
    x, y = xy[..., 0], xy[..., 1]
    left, top = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    h, w = image.shape[:2]
    ok = (left >= 0) & (top >= 0) & (left + 1 < w) & (top + 1 < h)
    lc, tc = np.where(ok, left, 0), np.where(ok, top, 0)
    fx, fy = (x - left)[..., None], (y - top)[..., None]
    img = image.astype(np.float64)
    value = (1 - fy) * ((1 - fx) * img[tc, lc] + fx * img[tc, lc + 1]) + fy * (
        (1 - fx) * img[tc + 1, lc] + fx * img[tc + 1, lc + 1]
    )
    return np.where(ok[..., None], np.clip(value, 0, 255), 0).astype(np.uint8)


def extract_chip(image_rgb: np.ndarray, details: ChipDetails) -> np.ndarray:
    """The ``size`` x ``size`` uint8 chip dlib's ``extract_image_chip`` returns."""
    size = details.size
    depth, grow, rect = 0, 2.0, _rect_down(details.rect)
    while _area(rect) > size * size:
        rect, depth, grow = _rect_down(rect), depth + 1, grow * 2 + 2
    corners = details.corners()
    l, t, r, b = details.rect
    cx, cy = (l + r) / 2, (t + b) / 2
    rot_corners = np.vstack([corners, 2 * np.array([cx, cy]) - corners[0]])  # + bottom-right
    h, w = image_rgb.shape[:2]
    lo = np.maximum(rot_corners.min(0) - grow, 0)
    hi = np.minimum(rot_corners.max(0) + grow, (w - 1, h - 1))
    x0, y0 = (int(math.floor(v + 0.5)) for v in lo)
    x1, y1 = (int(math.floor(v + 0.5)) for v in hi)
    source = image_rgb[y0 : y1 + 1, x0 : x1 + 1]
    rect = (l - x0, t - y0, r - x0, b - y0)
    while _area(_rect_down(rect)) > size * size:
        source, rect = pyramid_down(source), _rect_down(rect)
    chip_corners = np.array([(0, 0), (size - 1, 0), (0, size - 1)], np.float64)
    m = _affine3(chip_corners, details.corners(rect))
    gy, gx = np.mgrid[0:size, 0:size].astype(np.float64)
    xy = np.stack([gx, gy, np.ones_like(gx)], -1) @ m.T
    return _bilinear(source, xy)


def face_chip(image_rgb: np.ndarray, points5: np.ndarray, size: int = 150, padding: float = 0.25) -> np.ndarray:
    """dlib's ``get_face_chip``: the aligned RGB face chip from five landmarks."""
    return extract_chip(image_rgb, chip_details(points5, size, padding))


def chip_to_image(details: ChipDetails) -> np.ndarray:
    """2x3 affine map from chip pixel coordinates to image pixel coordinates."""
    size = details.size
    return _affine3(np.array([(0, 0), (size - 1, 0), (0, size - 1)], np.float64), details.corners())
