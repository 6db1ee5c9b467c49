"""Posed captures from other tools: nerfstudio ``transforms.json`` and COLMAP text or binary models.

:func:`load_capture` returns :class:`~scenegraph.world.views.PosedView`
objects in the rasterizers' convention (OpenCV ``world_to_camera``, pixel
centres at +0.5, linear RGB in [0, 1]).  nerfstudio stores camera-to-world
matrices in the OpenGL convention (y up, looking down -z); COLMAP stores
world-to-camera rotations as (qw, qx, qy, qz) and translations, already in
the OpenCV convention.  COLMAP SIMPLE_RADIAL / RADIAL / OPENCV distortion is
removed (images resampled onto the pinhole camera, :func:`~scenegraph.appearance.colmap.undistort`);
nerfstudio distortion is ignored with a warning.  Images are
read with Pillow (``pip install scenegraph[capture]``) and decoded from sRGB.

Every problem - an empty capture, a missing image, a size that disagrees
with the camera, an unknown camera model, a path leaving the capture folder -
raises :class:`~scenegraph.errors.FormatError` naming the file and the entry.
"""
from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path
import numpy as np

from scenegraph.world.views import GL_TO_CV, PinholeCamera, PosedView
from scenegraph.errors import BackendError, FormatError, ModelError
from scenegraph.model.materials import srgb_to_linear
from scenegraph.model import quat_to_matrix
from scenegraph.model.files import file_size, regular_file

__all__ = ["load_capture", "srgb_to_linear", "linear_to_srgb", "read_image"]

_MAX_TEXT_BYTES = 256 << 20  # a transforms.json or COLMAP text file (a million images is ~100 MB)
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".JPG", ".PNG")
#: COLMAP camera model -> (parameter count, index of distortion parameters)
_COLMAP_MODELS = {
    "SIMPLE_PINHOLE": 3,
    "PINHOLE": 4,
    "SIMPLE_RADIAL": 4,
    "RADIAL": 5,
    "OPENCV": 8,
}
_NS_MODELS = (None, "PINHOLE", "SIMPLE_PINHOLE", "OPENCV", "SIMPLE_RADIAL", "RADIAL")
_NS_DISTORTION = ("k1", "k2", "k3", "k4", "p1", "p2")


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """sRGB encoding of linear values in [0, 1]."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1.0 / 2.4) - 0.055)


def read_image(path: str | os.PathLike, downscale: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """Linear RGB (H, W, 3) float32 and alpha (H, W) or None of an 8-bit image file.

    ``downscale`` > 1 averages d x d blocks.  Raises BackendError without
    Pillow, FormatError for an unreadable file.
    """
    try:
        from PIL import Image
    except ImportError:
        raise BackendError("reading capture images needs Pillow: pip install 'scenegraph[capture]'") from None
    regular_file(path, "a capture image")  # a FIFO or a device would block or never end
    try:
        with Image.open(path) as im:
            has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
            im = im.convert("RGBA" if has_alpha else "RGB")
            if downscale > 1:
                im = im.resize((im.width // downscale, im.height // downscale), Image.Resampling.BOX)
            arr = np.asarray(im, dtype=np.float64) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FormatError(f"{path}: cannot read the image ({exc})") from None
    rgb = srgb_to_linear(arr[..., :3]).astype(np.float32)
    alpha = arr[..., 3].astype(np.float32) if has_alpha else None
    return rgb, alpha


def _inside(root: Path, rel: str, where: str) -> Path:
    """``root / rel`` resolved, refusing anything that leaves ``root``."""
    base = root.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(base):
        raise FormatError(f"{where}: image path {rel!r} leaves the capture folder {root}")
    return target


def _find_image(root: Path, rel: str, where: str) -> Path:
    try:
        p = _inside(root, rel, where)
        if p.is_file():
            return p
        if not p.suffix:  # Blender-style synthetic datasets omit the extension
            for suffix in _IMAGE_SUFFIXES:
                if p.with_suffix(suffix).is_file():
                    return p.with_suffix(suffix)
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a loop of links
        raise FormatError(f"{where}: image {rel[:80]!r} cannot be looked up ({getattr(exc, 'strerror', None) or exc})") from None
    raise FormatError(f"{where}: image {rel[:200]!r} not found in {root}")


def _read_mask(path: Path, downscale: int) -> np.ndarray:
    """A mask image as alpha (H, W) float32 in [0, 1] (grey levels taken as they are, not decoded from sRGB)."""
    from PIL import Image

    regular_file(path, "a capture image")  # a FIFO or a device would block or never end
    try:
        with Image.open(path) as im:
            im = im.convert("L")
            if downscale > 1:
                im = im.resize((im.width // downscale, im.height // downscale), Image.Resampling.BOX)
            return (np.asarray(im, dtype=np.float32) / 255.0).astype(np.float32)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FormatError(f"{path}: cannot read the mask ({exc})") from None


def _view(image_path: Path, cam: PinholeCamera, name: str, where: str, downscale: int, mask_path: Path | None = None) -> PosedView:
    rgb, alpha = read_image(image_path, downscale)
    h, w = rgb.shape[:2]
    if (w, h) != (cam.width, cam.height):
        raise FormatError(f"{where}: image {image_path.name} is {w}x{h} but the camera says {cam.width}x{cam.height}")
    if mask_path is not None:
        alpha = _read_mask(mask_path, downscale)
        if alpha.shape != (h, w):
            raise FormatError(f"{where}: mask {mask_path.name} is {alpha.shape[1]}x{alpha.shape[0]}, the image {w}x{h}")
    return PosedView(rgb, cam, alpha=alpha, name=name)


def _scaled(cam: PinholeCamera, d: int) -> PinholeCamera:
    if d == 1:
        return cam
    return PinholeCamera(cam.width // d, cam.height // d, cam.fx / d, cam.fy / d, cam.cx / d, cam.cy / d, cam.world_to_camera, cam.znear, cam.zfar)


def load_capture(path: str | os.PathLike, *, downscale: int = 1) -> list[PosedView]:
    """Posed views of a capture: a ``transforms.json`` (or a folder holding one) or a COLMAP text model folder.

    A COLMAP folder holds ``cameras.txt`` and ``images.txt`` (directly or in
    ``sparse/0``) and the pictures in ``images/``.  A nerfstudio frame's
    ``mask_path`` (grey levels, white = object) becomes the view's alpha.  ``downscale`` (integer)
    shrinks images and intrinsics together.  Raises FormatError (see module
    docstring), BackendError without Pillow.
    """
    if not isinstance(downscale, int) or downscale < 1:
        raise FormatError(f"load_capture: downscale must be a positive integer, got {downscale!r}")
    p = Path(path)
    if not p.exists():
        raise FormatError(f"{p}: no such capture file or folder")
    if p.is_file():
        if p.suffix.lower() == ".json":
            return _load_transforms(p, downscale)
        raise FormatError(f"{p}: expected a transforms.json file or a COLMAP model folder")
    if (p / "transforms.json").is_file():
        return _load_transforms(p / "transforms.json", downscale)
    model = colmap_model_dir(p)
    if model is not None:
        return _load_colmap(p, model, downscale)
    raise FormatError(f"{p}: no transforms.json, and no COLMAP cameras + images (.txt or .bin; also looked in sparse/0)")


def colmap_model_dir(p: Path) -> Path | None:
    """The folder holding a COLMAP model (text or binary) in ``p``, ``p/sparse/0`` or ``p/sparse``; None if none."""
    for model in (p, p / "sparse" / "0", p / "sparse"):
        for ext in (".txt", ".bin"):
            if (model / f"cameras{ext}").is_file() and (model / f"images{ext}").is_file():
                return model
    return None


# --------------------------------------------------------------------------
# nerfstudio / instant-ngp / Blender synthetic transforms.json
# --------------------------------------------------------------------------


def _number(d: dict, key: str, where: str) -> float | None:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise FormatError(f"{where}.{key}: expected a finite number, got {v!r}")
    return float(v)


def _load_transforms(json_path: Path, downscale: int) -> list[PosedView]:
    file_size(json_path, _MAX_TEXT_BYTES, "a transforms.json")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{json_path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise FormatError(f"{json_path}: not valid JSON (nested too deeply)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{json_path}: cannot read ({exc})") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{json_path}: expected a JSON object at the top level")
    frames = meta.get("frames")
    if not isinstance(frames, list) or not frames:
        raise FormatError(f"{json_path}: the capture is empty (no 'frames')")
    root = json_path.parent
    warned = False
    views = []
    for i, frame in enumerate(frames):
        where = f"{json_path}: frames[{i}]"
        if not isinstance(frame, dict):
            raise FormatError(f"{where}: expected an object")
        cfg = {**meta, **frame}  # per-frame intrinsics override the shared ones
        model = cfg.get("camera_model")
        if model not in _NS_MODELS:
            raise FormatError(f"{where}: camera_model {model!r} is not supported (use a pinhole or OPENCV model)")
        if not warned and any(_number(cfg, k, where) for k in _NS_DISTORTION):
            warnings.warn(f"{json_path}: lens distortion coefficients are ignored (images are used as if undistorted)", stacklevel=3)
            warned = True
        rel = frame.get("file_path")
        if not isinstance(rel, str) or not rel:
            raise FormatError(f"{where}.file_path: expected a relative image path")
        try:
            c2w = np.asarray(frame.get("transform_matrix"), dtype=np.float64)
        except (TypeError, ValueError):
            c2w = np.zeros(0)
        if c2w.shape not in ((4, 4), (3, 4)) or not np.all(np.isfinite(c2w)):
            raise FormatError(f"{where}.transform_matrix: expected a finite 4x4 camera-to-world matrix")
        if c2w.shape == (3, 4):
            c2w = np.vstack([c2w, [0.0, 0.0, 0.0, 1.0]])
        if abs(np.linalg.det(c2w[:3, :3])) < 1e-9:
            raise FormatError(f"{where}.transform_matrix: the rotation part is singular")
        image_path = _find_image(root, rel, where)
        w, h = _number(cfg, "w", where), _number(cfg, "h", where)
        if w is None or h is None:
            rgb, _ = read_image(image_path)
            h, w = float(rgb.shape[0]), float(rgb.shape[1])
        fx, fy = _number(cfg, "fl_x", where), _number(cfg, "fl_y", where)
        if fx is None:
            ax = _number(cfg, "camera_angle_x", where)
            if ax is None:
                raise FormatError(f"{where}: no focal length (fl_x or camera_angle_x)")
            fx = 0.5 * w / math.tan(0.5 * ax)
        if fy is None:
            ay = _number(cfg, "camera_angle_y", where)
            fy = 0.5 * h / math.tan(0.5 * ay) if ay is not None else fx
        cx = _number(cfg, "cx", where)
        cy = _number(cfg, "cy", where)
        try:
            cam = PinholeCamera(int(w), int(h), fx, fy, w / 2 if cx is None else cx, h / 2 if cy is None else cy, GL_TO_CV @ np.linalg.inv(c2w))
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
        mask = frame.get("mask_path")
        if mask is not None and (not isinstance(mask, str) or not mask):
            raise FormatError(f"{where}.mask_path: expected a relative image path")
        mask_path = _find_image(root, mask, where + ".mask_path") if mask else None
        views.append(_view(image_path, _scaled(cam, downscale), rel, where, downscale, mask_path))
    return views


# --------------------------------------------------------------------------
# COLMAP text model
# --------------------------------------------------------------------------


def _data_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line that is not a comment; blank lines are kept (images.txt needs them)."""
    file_size(path, _MAX_TEXT_BYTES, "a COLMAP text file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read ({exc})") from None
    return [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if not line.lstrip().startswith("#")]


def _parse_cameras(path: Path) -> dict[int, tuple[int, int, float, float, float, float, str, list[float]]]:
    """Camera id -> (width, height, fx, fy, cx, cy, model, distortion) from a COLMAP ``cameras.txt`` or ``cameras.bin``."""
    cams: dict[int, tuple] = {}
    if path.suffix == ".bin":
        from scenegraph.appearance.colmap import read_cameras_bin

        for cam_id, (model, w, h, params) in read_cameras_bin(path).items():
            if model not in _COLMAP_MODELS:
                raise FormatError(f"{path}: camera {cam_id}: model {model} is not supported (supported: {', '.join(_COLMAP_MODELS)})")
            cams[cam_id] = _intrinsics(model, w, h, params)
        return cams
    for lineno, line in _data_lines(path):
        if not line:
            continue
        where = f"{path}:{lineno}"
        tok = line.split()
        if len(tok) < 4:
            raise FormatError(f"{where}: expected 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS...'")
        model = tok[1]
        if model not in _COLMAP_MODELS:
            raise FormatError(f"{where}: camera model {model} is not supported (supported: {', '.join(_COLMAP_MODELS)})")
        try:
            cam_id, w, h = int(tok[0]), int(tok[2]), int(tok[3])
            params = [float(t) for t in tok[4:]]
        except ValueError:
            raise FormatError(f"{where}: camera id, size and parameters must be numbers") from None
        if len(params) != _COLMAP_MODELS[model]:
            raise FormatError(f"{where}: {model} takes {_COLMAP_MODELS[model]} parameters, got {len(params)}")
        cams[cam_id] = _intrinsics(model, w, h, params)
    if not cams:
        raise FormatError(f"{path}: no cameras")
    return cams


def _intrinsics(model: str, w: int, h: int, params: list[float]) -> tuple:
    if model in ("SIMPLE_PINHOLE", "SIMPLE_RADIAL", "RADIAL"):
        return (w, h, params[0], params[0], params[1], params[2], model, list(params[3:]))
    return (w, h, params[0], params[1], params[2], params[3], model, list(params[4:]))


def _load_colmap(root: Path, model_dir: Path, downscale: int) -> list[PosedView]:
    binary = not (model_dir / "cameras.txt").is_file()
    cams = _parse_cameras(model_dir / ("cameras.bin" if binary else "cameras.txt"))
    images_txt = model_dir / ("images.bin" if binary else "images.txt")
    lines = [] if binary else _data_lines(images_txt)
    image_dir = root / "images"
    if not image_dir.is_dir() and model_dir != root:
        image_dir = model_dir / "images"
    if not image_dir.is_dir():
        raise FormatError(f"{root}: no images/ folder next to the COLMAP model")
    entries = []
    i = 0
    while i < len(lines):
        lineno, line = lines[i]
        if not line:  # a stray blank line between entries
            i += 1
            continue
        where = f"{images_txt}:{lineno}"
        tok = line.split()
        if len(tok) < 10:
            raise FormatError(f"{where}: expected 'IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME'")
        try:
            q = np.array([float(t) for t in tok[1:5]])
            t = np.array([float(v) for v in tok[5:8]])
            cam_id = int(tok[8])
        except ValueError:
            raise FormatError(f"{where}: pose and camera id must be numbers") from None
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(t))) or np.linalg.norm(q) < 1e-12:
            raise FormatError(f"{where}: the pose is not finite or the quaternion is zero")
        if cam_id not in cams:
            raise FormatError(f"{where}: camera {cam_id} is not in cameras.txt")
        name = " ".join(tok[9:])
        entries.append((name, q, t, cam_id, where))
        i += 2  # skip the POINTS2D line that follows (possibly blank)
    if binary:
        from scenegraph.appearance.colmap import read_images_bin

        for name, q, t, cam_id in read_images_bin(images_txt):
            where = f"{images_txt}: image {name!r}"
            if not (np.all(np.isfinite(q)) and np.all(np.isfinite(t))) or np.linalg.norm(q) < 1e-12:
                raise FormatError(f"{where}: the pose is not finite or the quaternion is zero")
            if cam_id not in cams:
                raise FormatError(f"{where}: camera {cam_id} is not in cameras.bin")
            entries.append((name, q, t, cam_id, where))
    if not entries:
        raise FormatError(f"{images_txt}: the capture is empty (no images)")
    views = []
    for name, q, t, cam_id, where in sorted(entries, key=lambda e: e[0]):
        w2c = np.eye(4)
        w2c[:3, :3] = quat_to_matrix(np.roll(q, -1) / np.linalg.norm(q))  # COLMAP stores w, x, y, z
        w2c[:3, 3] = t
        w, h, fx, fy, cx, cy, model, dist = cams[cam_id]
        try:
            cam = PinholeCamera(w, h, fx, fy, cx, cy, w2c)
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
        scaled = _scaled(cam, downscale)
        view = _view(_find_image(image_dir, name, where), scaled, name, where, downscale)
        if any(dist):
            from scenegraph.appearance.colmap import undistort

            k = (scaled.fx, scaled.fy, scaled.cx, scaled.cy)
            alpha = None if view.alpha is None else undistort(view.alpha[..., None], k, model, dist)[..., 0]
            view = PosedView(undistort(view.image, k, model, dist), scaled, alpha=alpha, name=name)
        views.append(view)
    return views
