"""Seconds for proxy work: posed mesh renders of proxies, and proxy-sampled Gaussians for a scene; prints JSON.

    python benchmarks/proxy.py --views 16 --size 128 --entities 20

``views_s``: :func:`render_proxy_views` of ``--views`` views at ``--size``
pixels, per class (best of ``--repeat``).  ``assign_cold_s`` /
``assign_warm_s``: :func:`assign_gaussians` (proxy mode, 2000 per entity) for
``--entities`` catalogue objects, the first time (proxy shapes and their
sharp edges are built and cached) and again on a fresh scene.
"""
from __future__ import annotations

import argparse
import json
import time

from scenegraph.appearance.assign import assign_gaussians
from scenegraph.appearance.mesh_render import render_proxy_views
from scenegraph.appearance.proxy import proxy_colors, proxy_mesh
from scenegraph.model.catalog import CATALOG, bounds_of
from scenegraph.model import Entity, Material, Scene

CLASSES = ("car", "person", "dog", "tree", "bicycle", "house")


def scene_of(n: int) -> Scene:
    names = list(CATALOG)
    scene = Scene()
    scene.add_material(Material("mat_grey", base_color=(0.5, 0.5, 0.5)))
    for i in range(n):
        name = names[i % len(names)]
        scene.add_entity(Entity(f"e{i}", cls=name, bounds=bounds_of(CATALOG[name].size)), material="mat_grey")
    return scene


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--views", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--entities", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    out: dict = {"views": args.views, "size": args.size, "entities": args.entities}
    t0 = time.perf_counter()
    assign_gaussians(scene_of(args.entities), per_entity=2000)
    out["assign_cold_s"] = round(time.perf_counter() - t0, 4)
    t0 = time.perf_counter()
    assign_gaussians(scene_of(args.entities), per_entity=2000)
    out["assign_warm_s"] = round(time.perf_counter() - t0, 4)
    views: dict = {}
    for name in CLASSES:
        mesh = proxy_mesh(name, bounds_of(CATALOG[name].size))
        tints = proxy_colors(name, mesh)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            render_proxy_views(mesh, (0.8, 0.2, 0.1), vertex_colors=tints, n_views=args.views, size=args.size)
            best = min(best, time.perf_counter() - t0)
        views[name] = {"triangles": int(len(mesh.indices)), "seconds": round(best, 4)}
    out["views_s"] = views
    print(json.dumps(out))


if __name__ == "__main__":
    main()
