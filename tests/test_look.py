"""Second-round look: vehicle lights at night, light units for Blender, parked cars, animal bodies and new rigs."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import scenegraph

VALIDATOR = Path(__file__).parent / "gltf_validator" / "validate.mjs"
TRUCK = "A blue truck drives from right to left on the road"


def _glb_doc(path: Path) -> dict:
    data = path.read_bytes()
    n = int.from_bytes(data[12:16], "little")
    return json.loads(data[20:20 + n])


def _validate(path: Path) -> dict:
    if shutil.which("node") is None or not (VALIDATOR.parent / "node_modules").is_dir():
        pytest.skip("the glTF validator is not installed: (cd tests/gltf_validator && npm ci)")
    proc = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_vehicle_head_and_tail_lights_are_real_lights_at_night_only(tmp_path):
    from pxr import Usd, UsdLux

    from exporters import export

    counts = {}
    for tod in ("noon", "night"):
        scene = scenegraph.build(f"{TRUCK} at {tod}", seed=0, duration=2.0, gaussians="none")
        export(scene, tmp_path / f"{tod}.glb")
        export(scene, tmp_path / f"{tod}.usda")
        doc = _glb_doc(tmp_path / f"{tod}.glb")
        lights = doc.get("extensions", {}).get("KHR_lights_punctual", {}).get("lights", [])
        truck = next(i for i, nd in enumerate(doc["nodes"]) if nd["extras"]["scenegraph"]["id"] == "truck_1")
        under = [doc["nodes"][c] for c in doc["nodes"][truck].get("children", [])]
        heads = [lights[nd["extensions"]["KHR_lights_punctual"]["light"]] for nd in under
                 if "KHR_lights_punctual" in nd.get("extensions", {})]
        stage = Usd.Stage.Open(str(tmp_path / f"{tod}.usda"))
        prim = next(p for p in stage.Traverse() if p.GetName() == "truck_1")
        usd_lights = [p for p in Usd.PrimRange(prim) if p.HasAPI(UsdLux.LightAPI) or "Light" in str(p.GetTypeName())]
        counts[tod] = (len(heads), len(usd_lights), sorted({lt["type"] for lt in heads}),
                       sorted(lt["color"][0] > 5 * lt["color"][1] for lt in heads))
        if tod == "night":
            assert _validate(tmp_path / "night.glb")["issues"]["numErrors"] == 0
            shaped = [p for p in usd_lights if p.HasAPI(UsdLux.ShapingAPI)]
            assert len(shaped) == 4
    assert counts["noon"][:2] == (0, 0)
    assert counts["night"][:3] == (4, 4, ["spot"])
    assert counts["night"][3] == [False, False, True, True]  # two white headlights, two red tail lights


def test_headlights_light_the_road_ahead_in_the_builtin_render():
    from scenegraph.model import CameraParams, Entity, LightParams, Scene, Transform
    from scenegraph.render.frames import render
    from scenegraph.world.shots import look_rotation
    from scenegraph.world.vehicle_lights import add_vehicle_lights

    def frame(lit: bool) -> np.ndarray:
        s = Scene(fps=24, duration=1.0)
        s.metadata["environment"] = {"time_of_day": "night"}
        s.add_entity(Entity("ground", cls="ground", bounds=((-30, -0.1, -30), (30, 0.0, 30))))
        s.add_entity(Entity("car_1", cls="car", bounds=((-0.9, 0.0, -2.2), (0.9, 1.5, 2.2))))
        s.add_entity(Entity("sun_1", kind="light", cls="light", light=LightParams("directional", intensity=40.0),
                            transform=Transform((0, 20, 0), look_rotation(np.array([0.3, -1.0, 0.2])))))
        eye = np.array([8.0, 5.0, 8.0])
        s.add_entity(Entity("camera_1", kind="camera", cls="camera", camera=CameraParams(),
                            transform=Transform(eye, look_rotation(np.array([0.0, 0.0, 7.0]) - eye))))
        if lit:
            add_vehicle_lights(s)
        return render(s, frames=[0], width=160, passes=False)[0].rgb

    dark, lit = frame(False), frame(True)
    assert lit.mean() > 1.5 * dark.mean(), (lit.mean(), dark.mean())
