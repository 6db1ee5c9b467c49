"""USD (``.usda``, ``.usdc``, ``.usd``, ``.usdz``): animated stages for Blender, Unreal and Omniverse.

``write(scene, path, timeline=None)`` writes a Y-up, metre stage (writer in
:mod:`exporters.usd_write`); ``read(path) -> Scene`` reads it back, exactly
for our files and by id for stages edited elsewhere (reader in
:mod:`exporters.usd_read`).  This module holds what both directions share:
the layout of the stage, prim naming and the unit conversions.

Stage layout::

    /World                      defaultPrim; customData["scenegraph"]: scene settings,
                                trajectories, relations (JSON), format marker
      /Prototypes               class prim: one Mesh per distinct proxy, vehicle body, tyre and
                                character body (keyed by their bytes), referenced by users
      /Materials/<mat>          Material + UsdPreviewSurface (+ UsdUVTexture)
      /<entity>/<child entity>  Xform | Camera | SphereLight | DistantLight per entity,
                                xformOps translate / orient / scale (time-sampled where animated);
                                customData["scenegraph"]: id, kind, cls, payload JSON
        /<entity>_proxy         Mesh referencing a prototype, bound to the entity's material
        /<entity>_splats        ParticleField3DGaussianSplat
        /<entity>_rig, _wheel_N parts (exporters._usd_parts): UsdSkel rig whose Body references a
                                shared body (subsets bound by overs); wheels whose Tyre references one

Conversions (documented once, used both ways):

- quaternions: ours (x, y, z, w), ``Gf.Quat*(w, x, y, z)``; ``quatf[]``/``quatd[]`` arrays
  share our xyzw memory layout, so ``Vt.Quat*Array.FromNumpy`` takes (N, 4) xyzw directly.
  ``xformOp:orient`` is a quatd normalised in float64 (see ``usd_write._write_xform``).
- cameras: lens values are in tenths of a scene unit (UsdGeomCamera), so a 24 mm
  film back is ``verticalAperture = 0.24``; ``focalLength = 0.12 / tan(yfov / 2)``,
  ``horizontalAperture = 0.24 * aspect``, ``clippingRange = (znear, zfar)``.
- point light (candela): ``SphereLight`` of radius ``LIGHT_RADIUS`` m whose luminance
  is ``intensity / (pi r^2)`` nits (a sphere of that luminance has the same luminous
  intensity seen from afar); spot: the same plus ``ShapingAPI`` with
  ``cone:angle = degrees(outer)`` and ``cone:softness = (outer - inner) / outer``.
- directional light (lux): ``DistantLight`` whose ``intensity`` is the illuminance in lux.
- Gaussians: ``radiance:sphericalHarmonicsCoefficients`` is (N * K) float3, Gaussian-major
  (coefficient k of Gaussian n at n * K + k), ``sphericalHarmonicsDegree`` = degree.
"""
from __future__ import annotations

import os
from typing import Any

from exporters._usd_common import LIGHT_RADIUS, SUFFIXES, check_usdz

__all__ = ["write", "read", "SUFFIXES", "LIGHT_RADIUS", "check_usdz"]


def write(scene: Any, path: str | os.PathLike, timeline: Any = None, **options: Any) -> None:
    """Write ``scene`` (animated by ``timeline``, simulated when None) to a USD file.

    Raises FormatError for an unknown suffix or option, or when the file cannot be written;
    nothing is left at ``path`` on failure.
    """
    from exporters.usd_write import write_stage  # usd-core is imported only when a USD file is used

    write_stage(scene, path, timeline=timeline, **options)


def read(path: str | os.PathLike) -> Any:
    """Read a Scene from a ``.usda``/``.usdc``/``.usd``/``.usdz`` file.

    Raises FormatError naming the problem (missing file, not a USD layer, unsafe
    package, invalid samples, nothing usable).
    """
    from exporters.usd_read import read_stage

    return read_stage(path)
