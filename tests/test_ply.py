"""INRIA-layout .ply: the real capture loads and round-trips bit for bit; bad files are refused by name."""
from __future__ import annotations

import numpy as np
import pytest

from exporters.ply import PlyGaussians, ply_property_names, read_ply, write_ply
from scenegraph.model.gaussians import SH_C0, Gaussians
from scenegraph.appearance.ops import transform
from scenegraph.errors import FormatError


def cloud(n: int = 50, degree: int = 2, seed: int = 0) -> Gaussians:
    rng = np.random.default_rng(seed)
    return Gaussians(
        rng.normal(size=(n, 3)),
        rng.normal(size=(n, 4)),
        np.exp(rng.uniform(-6, 0, (n, 3))),
        rng.uniform(0.01, 0.99, n),
        rng.normal(0, 0.5, (n, (degree + 1) ** 2, 3)),
    )


def header(props: list[str], n: int, fmt: str = "binary_little_endian", kind: str = "float") -> bytes:
    lines = ["ply", f"format {fmt} 1.0", f"element vertex {n}"] + [f"property {kind} {p}" for p in props] + ["end_header", ""]
    return "\n".join(lines).encode()


def test_train_capture_loads_with_sh3_and_unit_quats(train_ply):
    g = read_ply(train_ply)
    assert len(g) == 1000 and g.sh_degree == 3 and g.sh.shape == (1000, 16, 3)
    np.testing.assert_allclose(np.linalg.norm(g.quats, axis=1), 1.0, atol=1e-6)
    assert 0.0 <= g.opacities.min() and g.opacities.max() <= 1.0
    assert np.all(g.scales > 0)
    # the first splat's position, straight from the file's first three floats
    raw = np.frombuffer(train_ply.read_bytes(), dtype="<f4", count=3, offset=train_ply.read_bytes().index(b"end_header\n") + 11)
    np.testing.assert_array_equal(g.means[0], raw)


def test_train_capture_round_trips_bit_exactly(train_ply, tmp_path):
    out = tmp_path / "again.ply"
    write_ply(read_ply(train_ply), out)
    assert out.read_bytes() == train_ply.read_bytes()


def test_train_capture_survives_ascii_and_no_normals(train_ply, tmp_path):
    g = read_ply(train_ply)
    write_ply(g, tmp_path / "a.ply", ascii=True)
    back = read_ply(tmp_path / "a.ply")
    assert back == g
    write_ply(back, tmp_path / "b.ply")  # raw logits / log-scales carried through ascii too
    assert (tmp_path / "b.ply").read_bytes() == train_ply.read_bytes()
    write_ply(g, tmp_path / "c.ply", normals=False)
    assert b"property float nx" not in (tmp_path / "c.ply").read_bytes()[:4000]
    assert read_ply(tmp_path / "c.ply") == g


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
@pytest.mark.parametrize("ascii_", [False, True])
def test_every_sh_degree_round_trips(tmp_path, degree, ascii_):
    g = cloud(degree=degree, seed=degree)
    path = tmp_path / "g.ply"
    write_ply(g, path, ascii=ascii_, normals=degree % 2 == 0)
    back = read_ply(path)
    assert back.sh_degree == degree
    for name in ("means", "quats", "sh"):
        np.testing.assert_array_equal(getattr(back, name), getattr(g, name))
    # log-scales and logits are float32 too: equal to within the format's resolution
    np.testing.assert_allclose(back.scales, g.scales, rtol=3e-7)
    np.testing.assert_allclose(back.opacities, g.opacities, rtol=3e-7, atol=1e-7)


def test_written_columns_use_the_inria_conventions(tmp_path):
    g = Gaussians([[1, 2, 3]], [[0.0, 0.0, 0.6, 0.8]], [[0.5, 1.0, 2.0]], [0.25], np.full((1, 4, 3), 0.1, np.float32))
    g = Gaussians(g.means, g.quats, g.scales, g.opacities, g.sh * np.arange(1, 13, dtype=np.float32).reshape(1, 4, 3))
    write_ply(g, tmp_path / "one.ply", normals=False)
    data = (tmp_path / "one.ply").read_bytes()
    names = ply_property_names(1, normals=False)
    assert data.startswith(b"ply\nformat binary_little_endian 1.0\nelement vertex 1\n")
    row = dict(zip(names, np.frombuffer(data[data.index(b"end_header\n") + 11:], dtype="<f4")))
    assert [row["rot_0"], row["rot_1"], row["rot_2"], row["rot_3"]] == pytest.approx([0.8, 0.0, 0.0, 0.6])  # w first
    assert row["opacity"] == pytest.approx(np.log(0.25 / 0.75))
    assert row["scale_2"] == pytest.approx(np.log(2.0))
    # f_rest is channel-major: the three red rest coefficients first
    assert [row[f"f_rest_{i}"] for i in range(3)] == pytest.approx([0.4, 0.7, 1.0])
    assert row["f_dc_0"] == pytest.approx(0.1)


def test_big_endian_and_double_files_load(tmp_path):
    names = ply_property_names(0, normals=False)
    vals = np.arange(len(names), dtype=np.float64) * 0.1 + 0.05
    path = tmp_path / "be.ply"
    path.write_bytes(header(names, 1, "binary_big_endian", "double") + vals.astype(">f8").tobytes())
    g = read_ply(path)
    assert g.means[0].tolist() == pytest.approx([0.05, 0.15, 0.25])
    assert float(g.sh[0, 0, 0]) == pytest.approx(0.35)


def test_stale_raw_columns_are_never_written(train_ply, tmp_path):
    g = read_ply(train_ply)
    assert isinstance(g, PlyGaussians)
    moved = transform(g, np.diag([2.0, 2.0, 2.0, 1.0]))
    write_ply(moved, tmp_path / "m.ply")
    np.testing.assert_allclose(read_ply(tmp_path / "m.ply").means, 2 * g.means, rtol=1e-6)
    # a PlyGaussians whose fields were swapped out keeps its columns but they no longer decode to it
    import dataclasses

    swapped = dataclasses.replace(g, means=g.means + 1)
    write_ply(swapped, tmp_path / "s.ply")
    np.testing.assert_array_equal(read_ply(tmp_path / "s.ply").means, swapped.means)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda h: h.replace(b"format binary_little_endian 1.0", b"format binary_little_endian 2.0"), "bad format line"),
        (lambda h: h.replace(b"format binary_little_endian 1.0\n", b""), "no format line"),
        (lambda h: h.replace(b"property float opacity", b"property float opacityx"), "'opacity' is missing"),
        (lambda h: h.replace(b"property float rot_3", b"property quad rot_3"), "bad property"),
        (lambda h: h.replace(b"property float f_rest_3", b"property float f_rest_99"), "f_rest_3 is missing"),
        (lambda h: h.replace(b"element vertex 2", b"element vertex 2000000000000"), "only"),
        (lambda h: h.replace(b"element vertex 2", b"element vertex -1"), "bad element"),
        (lambda h: h.replace(b"ply\n", b"plx\n", 1), "not a PLY"),
        (lambda h: h.replace(b"end_header", b"end_headr"), "not a PLY"),
        (lambda h: h.replace(b"element vertex 2\n", b"element vertex 2\nbogus line\n"), "unknown keyword 'bogus'"),
    ],
)
def test_malformed_headers_are_refused_by_name(tmp_path, mutate, message):
    good = tmp_path / "good.ply"
    write_ply(cloud(2, degree=1), good)
    data = good.read_bytes()
    cut = data.index(b"end_header\n") + 11
    bad = tmp_path / "bad.ply"
    bad.write_bytes(mutate(data[:cut]) + data[cut:])
    with pytest.raises(FormatError, match=message):
        read_ply(bad)


def test_huge_vertex_count_is_refused_before_allocating(tmp_path):
    names = ply_property_names(3)
    path = tmp_path / "huge.ply"
    path.write_bytes(header(names, 10**15) + b"\0" * 1000)
    with pytest.raises(FormatError, match=r"claims 1000000000000000 vertices"):
        read_ply(path)
    path.write_bytes(header(names, 10**15, "ascii") + b"1 " * 100)
    with pytest.raises(FormatError, match="more than the"):
        read_ply(path)


def test_nan_parameter_is_refused_with_its_index(tmp_path):
    g = cloud(5, degree=0)
    path = tmp_path / "nan.ply"
    write_ply(g, path, normals=False)
    data = bytearray(path.read_bytes())
    names = ply_property_names(0, normals=False)
    start = data.index(b"end_header\n") + 11
    off = start + (3 * len(names) + names.index("scale_1")) * 4
    data[off:off + 4] = np.array([np.nan], dtype="<f4").tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"vertex 3 has a NaN or infinite 'scale_1'"):
        read_ply(path)


def test_zero_quaternion_and_truncated_ascii_are_refused(tmp_path):
    names = ply_property_names(0, normals=False)
    row = np.ones(len(names), np.float32)
    row[names.index("rot_0"):] = 0
    path = tmp_path / "q.ply"
    path.write_bytes(header(names, 1) + row.astype("<f4").tobytes())
    with pytest.raises(FormatError, match="zero-length quaternion at Gaussian 0"):
        read_ply(path)
    path.write_bytes(header(names, 2, "ascii") + b" ".join(b"1.0000000" for _ in range(len(names) + 3)) + b"\n")
    with pytest.raises(FormatError, match="ascii body has"):
        read_ply(path)


def test_write_is_atomic_and_leaves_no_partial_file(tmp_path):
    g = cloud(3)
    with pytest.raises(FormatError, match="does not exist"):
        write_ply(g, tmp_path / "missing" / "g.ply")
    path = tmp_path / "g.ply"
    write_ply(g, path)
    before = path.read_bytes()
    with pytest.raises(FormatError):
        write_ply("not a cloud", path)  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.ply"]


def test_dc_colour_convention(tmp_path):
    rgb = np.array([[0.9, 0.2, 0.1]])
    g = Gaussians([[0, 0, 0]], [[0, 0, 0, 1]], [[0.1] * 3], [0.5], ((rgb - 0.5) / SH_C0)[:, None, :])
    write_ply(g, tmp_path / "c.ply")
    np.testing.assert_allclose(read_ply(tmp_path / "c.ply").colors, rgb, atol=1e-6)
