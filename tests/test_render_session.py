"""The built-in renderer keeps its per-scene set-up between render() calls, and never a stale one."""
from __future__ import annotations

import numpy as np

from scenegraph.render import render
from scenegraph.render import session
from scenegraph.world import simulate
from tests.test_render import car_scene


def _car_rgb(fr):
    return fr.rgb[fr.mask("car_1") & (fr.alpha > 0.9)].mean(axis=0)


def test_frame_by_frame_calls_reuse_the_session_and_match_one_call():
    s = car_scene(moving=True)
    tl = simulate(s)
    session.clear()
    whole = render(s, tl, frames=[0, 4, 8], width=80)
    first = session.lit_session(s, tl, "auto")
    one_by_one = [render(s, tl, frames=[f], width=80)[0] for f in (0, 4, 8)]
    assert session.lit_session(s, tl, "auto") is first  # one set-up for all four calls
    for a, b in zip(whole, one_by_one):
        assert a.frame == b.frame
        np.testing.assert_array_equal(a.rgb, b.rgb)
        np.testing.assert_array_equal(a.instance, b.instance)
    assert one_by_one[0].mask("car_1").any(axis=0).argmax() < one_by_one[2].mask("car_1").any(axis=0).argmax()  # it drives right


def test_an_edited_scene_or_timeline_is_drawn_anew():
    s = car_scene()
    tl = simulate(s)
    (red,) = render(s, tl, frames=[0], width=80)
    r, g, b = _car_rgb(red)
    assert r > 2 * g and r > 2 * b
    s.update("mat_red", base_color=(0.05, 0.1, 0.9))  # the same scene object, recoloured
    (blue,) = render(s, tl, frames=[0], width=80)
    r, g, b = _car_rgb(blue)
    assert b > 2 * r
    x0 = red.mask("car_1").any(axis=0).argmax()
    tl.position[:, tl.index("car_1"), 0] += 2.0  # the same timeline object, moved in place
    (moved,) = render(s, tl, frames=[0], width=80)
    assert moved.mask("car_1").any(axis=0).argmax() > x0 + 3
