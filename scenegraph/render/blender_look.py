"""Make an imported scenegraph file look in Blender as it does in our own renders: exposure, lights, sky.

Why this is needed: our files carry photometric lights (KHR_lights_punctual:
candela for point and spot lights, lux for the sun; UsdLux the same numbers),
and the scene is *exposed* like a camera would be: for the sun by day, for
artificial light at night (``scenegraph.render.sky``: a night is exposed for
about 40 lux, a day for the sun's 2,000-3,000 lux).  Blender's glTF importer
converts the units correctly (W = cd x 4 pi / 683, sun W/m^2 = lux / 683) but
renders everything at exposure 0, so a kitchen lit by one 120 cd lamp comes
out nearly black; Blender's USD importer does not convert photometric units at
all (its lights come in hundreds to thousands of times brighter than the glTF
ones) and makes the DomeLight the world only when the scene already has a
world.

:func:`apply_look` fixes all of that on the imported objects, for .glb and USD alike:

- every light whose object carries its scenegraph id gets the glTF importer's
  photometric conversion of our LightParams (so .usd and .glb imports agree);
- the view exposure is set so that a white surface lit at the scene's key
  illuminance reads as in our built-in renderer (``exposure_ev``), and the
  scene keeps the number as ``scene["scenegraph_exposure_ev"]``;
- display-referred emission (lit windows, lamp shades, head-light lenses, the
  sky dome) is scaled by 2^-EV so it shows as it was authored;
- the world is our sky gradient (horizon to zenith, ground below), likewise
  in display-referred colours times 2^-EV.

The numbers come from :func:`light_energy` and :func:`exposure_ev`, which need
no ``bpy`` and are tested on their own; ``apply_look`` takes the ``bpy`` module
as an argument, so importing this module never imports Blender.

>>> from scenegraph.model import LightParams
>>> round(light_energy(LightParams("point", intensity=683.0 / (4 * 3.141592653589793))), 6)
1.0
>>> round(light_energy(LightParams("directional", intensity=683.0)), 6)
1.0
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["light_energy", "exposure_ev", "sky_stops", "apply_look", "authored_emission", "LUMENS_PER_WATT"]

LUMENS_PER_WATT = 683.0  # the glTF importer's (and exporter's) photometric <-> radiometric factor


def light_energy(light: Any) -> float:
    """Blender's light energy for LightParams, as the glTF importer's physical mode sets it
    (sun: W/m^2 = lux / 683; point and spot: W = cd x 4 pi / 683)."""
    if light.type == "directional":
        return float(light.intensity) / LUMENS_PER_WATT
    return float(light.intensity) * 4.0 * math.pi / LUMENS_PER_WATT


def exposure_ev(scene: Any) -> float:
    """The view exposure (stops) at which Blender shows the scene as our built-in renderer does: a white
    Lambert surface under E lux renders E / (683 pi) in Blender, and EXPOSURE x E / key in ours."""
    from scenegraph.render.lit import EXPOSURE
    from scenegraph.render.sky import frame_lighting

    light = frame_lighting(scene, *_rest_world(scene))
    return float(math.log2(EXPOSURE * LUMENS_PER_WATT * math.pi / max(light.exposure_lux, 1e-6)))


def sky_stops(scene: Any) -> list[tuple[float, tuple[float, float, float]]]:
    """Display-referred sky colours for a vertical gradient: (position 0 = straight down .. 1 = straight
    up, linear RGB), from the same sky our renderer draws."""
    from scenegraph.render.sky import frame_lighting, sky_colour

    light = frame_lighting(scene, *_rest_world(scene))
    dirs = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.36, 0.93], [0.0, 1.0, 0.0]])
    cols = sky_colour(light, dirs)
    return [(p, tuple(float(v) for v in c)) for p, c in zip((0.0, 0.5, 0.62, 1.0), cols)]


def _rest_world(scene: Any) -> tuple[np.ndarray, dict[str, int]]:
    ents = list(scene.entities())
    return np.stack([scene.world_matrix(e.id) for e in ents]) if ents else np.zeros((0, 4, 4)), \
        {e.id: i for i, e in enumerate(ents)}


def _entity_id(obj: Any, scene: Any) -> str | None:
    eid = obj.get("scenegraph_id")
    meta = obj.get("scenegraph")
    if not eid and hasattr(meta, "get"):
        eid = meta.get("id")
    if not eid and obj.name in scene:
        eid = obj.name
    if not eid and obj.data is not None and getattr(obj.data, "name", None) in scene:
        eid = obj.data.name
    return str(eid) if eid else None


def _world(bpy: Any, stops: list, gain: float) -> Any:
    world = bpy.data.worlds.new("scenegraph_sky")
    bpy.context.scene.world = world
    world.use_nodes = True
    nt = world.node_tree
    for n in list(nt.nodes):
        nt.nodes.remove(n)
    out = nt.nodes.new("ShaderNodeOutputWorld")
    bg = nt.nodes.new("ShaderNodeBackground")
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    rng = nt.nodes.new("ShaderNodeMapRange")
    rng.inputs["From Min"].default_value = -1.0
    rng.inputs["From Max"].default_value = 1.0
    els = ramp.color_ramp.elements
    while len(els) < len(stops):
        els.new(0.5)
    for el, (pos, col) in zip(els, stops):
        el.position = pos
        el.color = (*[c * gain for c in col], 1.0)
    nt.links.new(coord.outputs["Generated"], sep.inputs[0])
    nt.links.new(sep.outputs["Z"], rng.inputs["Value"])
    nt.links.new(rng.outputs["Result"], ramp.inputs["Fac"])
    nt.links.new(ramp.outputs["Color"], bg.inputs["Color"])
    bg.inputs["Strength"].default_value = 1.0
    nt.links.new(bg.outputs["Background"], out.inputs["Surface"])
    return world


def _scale_emission(mat: Any, k: float) -> bool:
    hit = False
    for node in mat.node_tree.nodes:
        if node.bl_idname == "ShaderNodeBsdfPrincipled":
            sock, col = node.inputs["Emission Strength"], node.inputs["Emission Color"]
            if sock.default_value > 0 and (col.is_linked or any(c > 0 for c in tuple(col.default_value)[:3])):
                sock.default_value *= k
                hit = True
        elif node.bl_idname == "ShaderNodeEmission":
            node.inputs["Strength"].default_value *= k
            hit = True
    return hit


class authored_emission:
    """``with authored_emission(bpy): export ...``: materials get their authored emission back for the
    duration (an export writes what the file had, not the exposure-compensated strengths)."""

    def __init__(self, bpy: Any) -> None:
        self.mats = [m for m in bpy.data.materials if "scenegraph_emission_gain" in m and m.node_tree]

    def __enter__(self) -> "authored_emission":
        for m in self.mats:
            _scale_emission(m, 1.0 / float(m["scenegraph_emission_gain"]))
        return self

    def __exit__(self, *exc: Any) -> None:
        for m in self.mats:
            _scale_emission(m, float(m["scenegraph_emission_gain"]))


def apply_look(bpy: Any, scene: Any, objects: Any = None) -> dict:
    """Set the lights, exposure, emission and world of a Blender scene that imported ``scene`` (a
    scenegraph Scene, e.g. ``scenegraph.load(path)``); ``objects``: the imported objects (default: all).
    Returns what it did: {"exposure_ev", "lights", "emissive_materials"}."""
    ev = exposure_ev(scene)
    gain = 2.0 ** -ev
    objs = list(bpy.data.objects if objects is None else objects)
    lights = 0
    for obj in objs:
        if obj.type != "LIGHT":
            continue
        eid = _entity_id(obj, scene)
        if eid is None or eid not in scene:
            continue
        lp = scene.entity(eid).light
        if lp is None:
            continue
        obj.data.energy = light_energy(lp)
        obj.data.color = tuple(float(c) for c in lp.color)
        lights += 1
    mats = {slot.material for obj in objs if obj.type == "MESH" for slot in obj.material_slots if slot.material}
    emissive = 0
    for mat in sorted(mats, key=lambda m: m.name):
        if "scenegraph_emission_gain" in mat or not mat.node_tree:
            continue
        if _scale_emission(mat, gain):
            mat["scenegraph_emission_gain"] = gain
            emissive += 1
    _world(bpy, sky_stops(scene), gain)
    bscene = bpy.context.scene
    bscene.view_settings.exposure = ev
    bscene["scenegraph_exposure_ev"] = ev
    return {"exposure_ev": ev, "lights": lights, "emissive_materials": emissive}
