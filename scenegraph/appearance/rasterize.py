"""``render_gaussians``: one entry point over the gsplat (CUDA) and PyTorch (CPU) rasterizers.

>>> import numpy as np
>>> from scenegraph.model.gaussians import Gaussians
>>> from scenegraph.world.views import PinholeCamera
>>> g = Gaussians([[0, 0, 2]], [[0, 0, 0, 1]], [[0.2, 0.2, 0.2]], [0.9], np.zeros((1, 1, 3)))
>>> cam = PinholeCamera(32, 24, 30.0, 30.0, 16.0, 12.0, np.eye(4))
>>> rgb, alpha, depth = render_gaussians(g, cam, backend="torch")
>>> tuple(rgb.shape), round(float(alpha[12, 16]), 2), round(float(depth[12, 16]), 2)
((24, 32, 3), 0.88, 2.0)
"""
from __future__ import annotations

from typing import Any

from scenegraph.model.gaussians import Gaussians
from scenegraph.errors import BackendError, ModelError

__all__ = ["render_gaussians", "gaussians_to_tensors", "available_backends"]

_KEYS = ("means", "quats", "scales", "opacities", "sh")


def gaussians_to_tensors(gaussians: Gaussians, device: Any = None, dtype: Any = None) -> dict:
    """Torch tensors (means, quats xyzw, scales, opacities, sh) of a cloud, float32 unless ``dtype``."""
    import numpy as np
    import torch

    dtype = dtype or torch.float32
    return {k: torch.tensor(np.array(getattr(gaussians, k)), dtype=dtype, device=device) for k in _KEYS}


def _cuda_ready() -> bool:
    import torch

    if not torch.cuda.is_available():
        return False
    try:
        import gsplat  # noqa: F401
    except ImportError:
        return False
    return True


def available_backends() -> list[str]:
    """Backends usable here: always "torch"; "gsplat" where CUDA and gsplat are present."""
    return ["gsplat", "torch"] if _cuda_ready() else ["torch"]


def render_gaussians(gaussians: Gaussians | dict, camera: Any, width: int | None = None, height: int | None = None,
                     background: Any = (0.0, 0.0, 0.0), *, backend: str = "auto", sh_degree: int | None = None,
                     tile_size: int | None = None) -> Any:
    """Render a cloud through a :class:`~scenegraph.world.views.PinholeCamera`.

    Returns a :class:`~scenegraph.appearance.raster_torch.RenderResult` that unpacks as
    ``rgb (H, W, 3), alpha (H, W), depth (H, W)`` torch tensors; depth is the
    alpha-weighted expected camera z (sum w_i z_i / alpha), 0 where nothing was hit.
    ``gaussians`` may be a dict of torch tensors (means, quats xyzw, scales linear,
    opacities linear, sh (N, K, 3)); the images are differentiable with respect to them.
    ``width``/``height`` other than the camera's rescale its intrinsics.  ``backend``:
    "auto" (gsplat on CUDA, else torch), "gsplat" or "torch".  ``sh_degree`` caps
    the SH degree used (default: all the cloud has).  ``tile_size`` is the square
    tile side in pixels the backend bins Gaussians into: None (default) is 16 for
    gsplat (as in 3DGS) and, for torch, 8 or 16, whichever the footprints make
    cheaper (8 wastes fewer pixel tests on small splats); the image is the same.
    Raises BackendError for an unavailable backend, ModelError for bad inputs.
    """
    import torch

    if backend not in ("auto", "gsplat", "torch"):
        raise BackendError(f"render_gaussians: unknown backend {backend!r} (auto, gsplat, torch)")
    if backend == "auto":
        backend = "gsplat" if _cuda_ready() else "torch"
    elif backend == "gsplat" and not _cuda_ready():
        raise BackendError("render_gaussians: the gsplat backend needs CUDA and the gsplat package")
    if isinstance(gaussians, Gaussians):
        device = "cuda" if backend == "gsplat" else "cpu"
        params = gaussians_to_tensors(gaussians, device=device)
    elif isinstance(gaussians, dict):
        missing = [k for k in _KEYS if k not in gaussians]
        if missing:
            raise ModelError(f"render_gaussians: parameter dict lacks {', '.join(missing)}")
        params = gaussians
    else:
        raise ModelError(f"render_gaussians: expected Gaussians or a dict of tensors, got {type(gaussians).__name__}")
    k = params["sh"].shape[1]
    full = {1: 0, 4: 1, 9: 2, 16: 3}.get(k)
    if full is None:
        raise ModelError(f"render_gaussians: sh has {k} coefficients per channel, not (degree+1)^2 for degree 0-3")
    degree = full if sh_degree is None else int(sh_degree)
    if tile_size is not None and tile_size not in (4, 8, 16, 32):
        raise ModelError(f"render_gaussians: tile_size must be 4, 8, 16 or 32, got {tile_size}")
    if not 0 <= degree <= full:
        raise ModelError(f"render_gaussians: sh_degree {sh_degree} outside 0..{full}")
    w = int(width or camera.width)
    h = int(height or camera.height)
    sx, sy = w / camera.width, h / camera.height
    intr = (camera.fx * sx, camera.fy * sy, camera.cx * sx, camera.cy * sy)
    dev, dtype = params["means"].device, params["means"].dtype
    viewmat = torch.as_tensor(camera.world_to_camera, dtype=dtype, device=dev)
    bg = torch.as_tensor(background, dtype=dtype, device=dev).reshape(3)
    if backend == "gsplat":
        from scenegraph.appearance.raster_gsplat import render_gsplat

        return render_gsplat(params, viewmat, intr, w, h, bg, degree, camera.znear, camera.zfar, tile=tile_size or 16)
    from scenegraph.appearance.raster_torch import render_torch

    return render_torch(params, viewmat, intr, w, h, bg, degree, camera.znear, camera.zfar, tile=tile_size)
