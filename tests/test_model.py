"""The scene model keeps its invariants and says which node and field broke one."""
from __future__ import annotations

import math

import numpy as np
import pytest

import scenegraph
from scenegraph import (
    CameraParams,
    Dynamics,
    Entity,
    LightParams,
    Material,
    ModelError,
    NodeNotFoundError,
    Scene,
    Trajectory,
    Transform,
)
from scenegraph.model import quat_from_axis_angle, quat_multiply, quat_rotate, quat_to_matrix
from scenegraph.model.rotations import quat_from_matrix


def street() -> Scene:
    s = Scene(fps=24, duration=4.0, seed=3, prompt="a red car and a bus")
    s.add_material(Material("mat_red_paint", base_color=(0.8, 0.02, 0.02), metallic=0.3, roughness=0.4))
    s.add_trajectory(Trajectory("traj_car_1", [0.0, 4.0], [[-10, 0, 0], [10, 0, 0]], heading="tangent"))
    s.add_entity(Entity("car_1", cls="car", bounds=[[-0.9, 0, -2.25], [0.9, 1.5, 2.25]]), material="mat_red_paint", trajectory="traj_car_1")
    s.add_entity(Entity("driver_1", cls="person", transform=Transform((0.4, 0.5, 0.3))), parent="car_1")
    s.add_entity(Entity("bus_1", cls="bus", transform=Transform((0, 0, -8))))
    s.add_relation("bus_1", "behind", "car_1")
    s.add_entity(Entity("camera_1", kind="camera", transform=Transform((0, 1.6, 12))))
    s.add_entity(Entity("sun", kind="light", light=LightParams(type="directional", intensity=3.0)))
    return s


def test_queries_follow_the_edges():
    s = street()
    assert [e.id for e in s.entities()] == ["car_1", "driver_1", "bus_1", "camera_1", "sun"]
    assert s.material_of("car_1").base_color.tolist() == pytest.approx([0.8, 0.02, 0.02])
    assert s.trajectory_of("car_1").id == "traj_car_1"
    assert s.parent_of("driver_1").id == "car_1"
    assert [c.id for c in s.children_of("car_1")] == ["driver_1"]
    assert s.relations() == [("bus_1", "behind", "car_1")]
    assert [c.id for c in s.cameras()] == ["camera_1"]
    assert s.entity("camera_1").camera == CameraParams()
    assert s.frame_count == 97


def test_duplicate_id_is_refused_naming_it():
    s = street()
    with pytest.raises(ModelError, match="'car_1' is already used"):
        s.add_entity(Entity("car_1"))
    with pytest.raises(ModelError, match="mat_red_paint"):
        s.add_trajectory(Trajectory("mat_red_paint", [0.0], [[0, 0, 0]]))


@pytest.mark.parametrize("bad", ["", "1car", "car 1", "x" * 200, None])
def test_invalid_ids_are_refused(bad):
    with pytest.raises(ModelError, match="id"):
        Entity(bad)


def test_parent_cycles_and_self_parent_are_refused():
    s = street()
    with pytest.raises(ModelError, match="cycle"):
        s.set_parent("car_1", "driver_1")
    with pytest.raises(ModelError, match="own parent"):
        s.set_parent("car_1", "car_1")
    # one parent per entity: re-parenting replaces the edge
    s.set_parent("driver_1", "bus_1")
    assert s.parent_of("driver_1").id == "bus_1"
    assert s.children_of("car_1") == []


def test_edges_need_nodes_of_the_right_kind():
    s = street()
    with pytest.raises(NodeNotFoundError, match="'traj_car_1' is a trajectory, not a material"):
        s.set_material("bus_1", "traj_car_1")
    with pytest.raises(NodeNotFoundError, match="no entity with id 'ghost'"):
        s.add_relation("ghost", "near", "car_1")
    with pytest.raises(ModelError, match="only objects have materials"):
        s.set_material("camera_1", "mat_red_paint")
    with pytest.raises(ModelError, match="'under'"):
        s.add_relation("bus_1", "under", "car_1")


def test_failed_add_leaves_scene_unchanged():
    s = street()
    before = s.to_dict()
    with pytest.raises(NodeNotFoundError):
        s.add_entity(Entity("bike_1", cls="bicycle"), material="mat_missing")
    assert "bike_1" not in s
    assert s.to_dict() == before


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"translation": (0, float("nan"), 0)}, "translation"),
        ({"scale": (1, 0, 1)}, "scale"),
        ({"scale": (1, -2, 1)}, "scale"),
        ({"rotation": (0, 0, 0, 0)}, "rotation"),
        ({"translation": (0, 1)}, "translation"),
    ],
)
def test_bad_transforms_name_the_field(kwargs, field):
    with pytest.raises(ModelError, match=field):
        Transform(**kwargs)


def test_update_validates_and_keeps_ids_stable():
    s = street()
    new = s.update("bus_1", transform=Transform((3, 0, -8)))
    assert s.entity("bus_1").transform.translation.tolist() == [3, 0, -8]
    assert new is s.entity("bus_1")
    with pytest.raises(ModelError, match="ids are stable"):
        s.update("bus_1", id="bus_2")
    with pytest.raises(ModelError, match="unknown field"):
        s.update("bus_1", colour="red")
    with pytest.raises(ModelError, match="bounds"):
        s.update("bus_1", bounds=[[0, 0, 0], [-1, 1, 1]])
    with pytest.raises(ModelError, match="dynamics must be a root"):
        s.update("driver_1", dynamics=Dynamics())


def test_payload_arrays_are_read_only():
    e = street().entity("car_1")
    with pytest.raises(ValueError):
        e.bounds[0, 0] = 5.0
    with pytest.raises(Exception):
        e.cls = "truck"


def test_remove_refuses_used_nodes_and_orphaned_children():
    s = street()
    with pytest.raises(ModelError, match="used by car_1"):
        s.remove("mat_red_paint")
    with pytest.raises(ModelError, match="has children"):
        s.remove("car_1")
    s.remove("car_1", recursive=True)
    assert "driver_1" not in s and "car_1" not in s
    assert s.relations() == []
    s.remove("mat_red_paint")
    assert s.materials() == []


def test_material_and_trajectory_validation_names_the_field():
    with pytest.raises(ModelError, match="base_color"):
        Material("m", base_color=(1.2, 0, 0))
    with pytest.raises(ModelError, match="roughness"):
        Material("m", roughness=float("nan"))
    with pytest.raises(ModelError, match="strictly increasing"):
        Trajectory("t", [0, 1, 1], [[0, 0, 0]] * 3)
    with pytest.raises(ModelError, match=r"positions: expected shape \(2x3\)"):
        Trajectory("t", [0, 1], [[0, 0, 0]])
    with pytest.raises(ModelError, match="interpolation"):
        Trajectory("t", [0, 1], [[0, 0, 0]] * 2, interpolation="cubicish")
    with pytest.raises(ModelError, match="zfar"):
        CameraParams(znear=10, zfar=1)
    with pytest.raises(ModelError, match="disagrees with the image size 1280x720"):
        CameraParams(aspect=4 / 3)
    assert CameraParams(width=640, height=480).aspect == pytest.approx(4 / 3)


def test_world_matrix_composes_parents():
    s = street()
    m = s.world_matrix("driver_1")
    assert m[:3, 3].tolist() == pytest.approx([0.4, 0.5, 0.3])
    s.update("car_1", transform=Transform((5, 0, 0), rotation=quat_from_axis_angle((0, 1, 0), math.pi / 2)))
    # rotating the car a quarter turn about +Y maps the driver's local +X offset to -Z
    assert s.world_matrix("driver_1")[:3, 3] == pytest.approx([5 + 0.3, 0.5, -0.4])


def test_quaternion_helpers_agree_with_matrices():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    v = rng.normal(size=(5, 3))
    np.testing.assert_allclose(quat_rotate(q, v), np.einsum("nij,nj->ni", quat_to_matrix(q), v), atol=1e-12)
    for qi in q:  # matrix -> quaternion -> matrix, w >= 0
        back = quat_from_matrix(quat_to_matrix(qi))
        assert back[3] >= 0 and np.allclose(np.abs(back @ qi), 1.0)
    qq = quat_multiply(q[0], q[1])
    np.testing.assert_allclose(quat_to_matrix(qq), quat_to_matrix(q[0]) @ quat_to_matrix(q[1]), atol=1e-12)


def test_graph_view_is_read_only():
    g = street().graph
    assert g.nodes["car_1"]["kind"] == "entity"
    assert g.edges["car_1", "mat_red_paint"]["rel"] == "material"
    with pytest.raises(Exception):
        g.add_node("sneaky")


def test_public_all_matches_exports():
    for name in scenegraph.__all__:
        assert getattr(scenegraph, name) is not None, name
    import exporters
    from scenegraph import model, world
    from scenegraph.model import payloads, rotations, serialize

    for mod in (model, world, payloads, rotations, serialize, exporters):
        for name in mod.__all__:
            assert hasattr(mod, name), f"{mod.__name__}.{name}"
