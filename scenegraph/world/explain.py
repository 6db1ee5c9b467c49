"""What the director understood, as text: ``scenegraph build --explain``.

Reads a built scene: the spec kept in ``scene.metadata["spec"]`` (entities
with the words they came from, relations, actions) and the planned time of
each action (``scene.metadata["actions"]``), and lists each actor's actions in
time order, the setting, the camera shots and the one warning line.

>>> from scenegraph.model.spec import SceneSpec
>>> from scenegraph.world.builder import build_scene
>>> spec = SceneSpec.model_validate({"entities": [{"id": "dog", "class": "dog", "source": "a dog"}],
...                                  "actions": [{"actor": "dog", "verb": "run", "direction": "left_to_right"}]})
>>> print(explain(build_scene(spec)).splitlines()[1])
  dog_1: dog (dog) from 'a dog'
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["explain"]

_FIELDS = ("to", "from", "via", "target", "direction", "relation", "relative_to", "distance", "duration", "speed")


def explain(scene: Any) -> str:
    """The plan of a built scene in a few lines of text."""
    spec = scene.metadata.get("spec", {})
    by_ref: dict[str, list[str]] = defaultdict(list)
    for e in scene.entities("object"):
        ref = e.attributes.get("spec_ref")
        if ref is not None:
            by_ref[ref].append(e.id)
    lines = ["entities:"]
    for es in spec.get("entities", []):
        ref = es.get("id") or es.get("name") or es.get("class")
        ids = by_ref.get(ref, [])
        look = " ".join(str(es[k]) for k in ("size", "color", "material") if es.get(k))
        extra = [f"x{es['count']}"] if es.get("count", 1) > 1 else []
        if es.get("formation"):
            extra.append(f"in formation {es['formation']}")
        if es.get("attributes"):
            extra.append("(" + ", ".join(es["attributes"]) + ")")
        src = f" from {es['source']!r}" if es.get("source") else ""
        name = ", ".join(ids) if len(ids) <= 4 else f"{ids[0]} ... {ids[-1]}"
        lines.append(f"  {name}: {(look + ' ') if look else ''}{es.get('word') or es['class']} ({es['class']})"
                     f"{' ' + ' '.join(extra) if extra else ''}{src}")
    rels = spec.get("relations", [])
    if rels:
        lines.append("relations:")
        for r in rels:
            two = f" and {r['object2']}" if r.get("object2") else ""
            lines.append(f"  {r['subject']} {r['relation'].replace('_', ' ')} {r['object']}{two}")
    acts = spec.get("actions", [])
    times = {a["index"]: (a["start"], a["end"]) for a in scene.metadata.get("actions", [])}
    if acts:
        lines.append("actions (by actor, in time order):")
        order: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for k, a in enumerate(acts):
            order[a["actor"]].append((times.get(k, (0.0, 0.0))[0], k))
        for actor, items in order.items():
            lines.append(f"  {actor}:")
            for _, k in sorted(items):
                a = acts[k]
                t0, t1 = times.get(k, (0.0, 0.0))
                what = " ".join(f"{f}={a[f]}" for f in _FIELDS if a.get(f) is not None)
                rep = []
                if a.get("repeat", 1) > 1:
                    rep.append(f"x{a['repeat']}")
                if a.get("back_and_forth"):
                    rep.append("back and forth")
                if a.get("returns"):
                    rep.append("and back")
                when = next((f"{k2} {a[k2]}" for k2 in ("after", "while", "start") if a.get(k2) is not None),
                            "then" if a.get("then") else "")
                lines.append(f"    {t0:6.2f}-{t1:6.2f} s  {a['verb']} {what} {' '.join(rep)}".rstrip()
                             + (f"  [{a.get('id')}{', ' + when if when else ''}]" if a.get("id") else ""))
    shots = spec.get("camera", [])
    if shots:
        lines.append("camera:")
        for s in shots:
            lines.append("  " + " ".join(f"{k}={v}" for k, v in s.items()))
    env = spec.get("environment", {})
    setting = {k: env[k] for k in ("setting", "ground", "sky", "time_of_day") if env.get(k)}
    if setting or env.get("road"):
        lines.append("setting: " + " ".join(f"{k}={v}" for k, v in setting.items()) + (" road" if env.get("road") else ""))
    lines.append(f"duration: {scene.duration:g} s")
    for w in scene.metadata.get("warnings", []):
        lines.append(f"warning: {w}")
    return "\n".join(lines)
