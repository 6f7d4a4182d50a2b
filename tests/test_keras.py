"""softlearn.keras on TensorFlow, in this process: accuracy, flushing, gradients, XLA, use.

The other backends, saving, reloading and export are in tests/test_keras_backends.py.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import keras
import keras_backend_probe as probe
import ml_dtypes
import mpmath as mp
import numpy as np
import pytest
import tensorflow as tf

import softlearn as sl
import softlearn.keras as sk
from softlearn import reference as ref
from softlearn.inputs import all_finite

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = {"softplus": sk.softplus, "softsign": sk.softsign}


def _normal_range(dtype: type, n: int = 4000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)
    lo, hi = math.log10(float(fi.smallest_normal)), math.log10(float(fi.max))
    mags = 10 ** rng.uniform(lo, hi, n)
    return np.concatenate([rng.uniform(-50, 50, n), rng.choice([-1, 1], n) * mags]).astype(dtype)


def _derivative(fn, n: int):
    """The ``n``-th derivative of ``fn`` by nested GradientTapes."""
    if n == 0:
        return fn
    inner = _derivative(fn, n - 1)

    def d(t: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = inner(t)
        return tape.gradient(y, t)

    return d


def _derivatives(fn, x: tf.Tensor, orders: int = 2) -> list[np.ndarray]:
    """``fn(x)`` and its first ``orders`` derivatives, as NumPy arrays."""
    return [_derivative(fn, n)(x).numpy() for n in range(orders + 1)]


def _check(name: str, order: int, x: np.ndarray, y: np.ndarray, dtype: str) -> float:
    """``y`` holds the module docstring's promise at ``x`` (normal inputs); its worst error."""
    exact = ref.reference(probe.exact(name, order), x.astype(np.float64))
    err = ref.ulp_errors(y.astype(np.float64), exact, dtype)
    zone, band = probe.flush_masks(name, order, dtype, x.astype(np.float64), exact)
    limit = probe.bound(dtype, order)
    assert np.all(y[zone] == 0), f"not flushed at x = {x[zone & (y != 0)][:3]!r}"
    ok = zone | (err <= limit) | (band & (y == 0))
    i = int(np.argmax(np.where(ok, -1, err)))
    assert ok.all(), f"{err[i]:.3f} ULP > {limit} at x = {x[i]!r} (order {order}, {dtype})"
    return float(np.max(err[~zone & ~band], initial=0.0))


# --- native code


def test_module_imports_keras_and_no_backend():
    """Backend-agnostic: no framework but Keras at the top of softlearn/keras.py."""
    tree = ast.parse((REPO / "softlearn" / "keras.py").read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    assert "keras" in top
    assert not top & {"tensorflow", "jax", "torch", "numpy"}, top


def test_graph_has_no_python_callbacks_and_compiles_with_xla():
    @tf.function(jit_compile=True)
    def f(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = sk.softplus(t) + sk.softsign(t) + sk.Softplus(beta=3.0)(t)
        return y, tape.gradient(y, t)

    x = tf.constant([-2.0, 0.0, 3.0])
    y, _ = f(x)
    ops = {op.type for op in f.get_concrete_function(x).graph.get_operations()}
    assert not ops & {"PyFunc", "PyFuncStateless", "EagerPyFunc"}, ops
    expected = sl.softplus(x.numpy()) + sl.softsign(x.numpy()) + sl.softplus(x.numpy(), 3.0)
    assert np.allclose(y.numpy(), expected, rtol=1e-6)


def test_layers_support_jit_and_describe_themselves():
    layer = sk.Softplus(beta=0.5, name="sp")
    assert layer.supports_jit and sk.Softsign().supports_jit
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.get_config()["beta"] == 0.5


# --- parity


PEERS = [
    ("softplus", sk.softplus, tf.math.softplus, ref.softplus),
    ("softplus", sk.softplus, keras.activations.softplus, ref.softplus),
    ("softsign", sk.softsign, tf.nn.softsign, ref.softsign),
    ("softsign", sk.softsign, keras.activations.softsign, ref.softsign),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs", "reffn"), PEERS)
def test_parity_with_tensorflow_and_keras(name, ours, theirs, reffn, dtype):
    """Within 2 ULP of the peer where results are normal; beyond, softlearn is nearer mpmath."""
    x = _normal_range(dtype)
    a = ours(tf.constant(x)).numpy()
    b = np.asarray(theirs(tf.constant(x)))
    tiny = np.finfo(dtype).smallest_normal
    spacing = np.spacing(np.maximum(np.abs(b), tiny)).astype(np.float64)
    far = (np.abs(a.astype(np.float64) - b) / spacing > 2) & (np.abs(b) >= tiny)
    peer = f"{theirs.__module__}.{theirs.__name__}"
    print(f"{name} vs {peer} {np.dtype(dtype)}: {far.sum()} differ > 2 ULP")
    if far.any():
        exact = ref.reference(reffn, x[far])
        mine, yours = ref.ulp_errors(a[far], exact), ref.ulp_errors(b[far], exact)
        i = int(np.argmax(yours))
        print(f"  e.g. x = {x[far][i]!r}: softlearn {mine[i]:.2f} ULP, peer {yours[i]:.3g} ULP")
        assert np.all(mine <= probe.bound(np.dtype(dtype).name, 0))
        assert np.all(mine <= yours)


def test_tensorflow_softplus_is_several_ulp_off_where_softlearn_is_not():
    # TF returns exp(x) below log(eps) + 2; the true value is log1p(exp(x)).
    x = np.linspace(-17.5, -13.5, 4001).astype(np.float32)
    exact = ref.reference(ref.softplus, x)
    mine = ref.ulp_errors(sk.softplus(tf.constant(x)).numpy(), exact)
    theirs = ref.ulp_errors(tf.math.softplus(tf.constant(x)).numpy(), exact)
    print(f"float32 softplus on [-17.5, -13.5]: TF {theirs.max():.2f}, ours {mine.max():.2f} ULP")
    assert mine.max() <= 1.0 < theirs.max()


# --- accuracy in every dtype


def _every(dtype: str) -> np.ndarray:
    """Every finite float16 or bfloat16 number except the subnormals, as float64."""
    if dtype == "float16":
        x = all_finite(np.float16).astype(np.float64)
    else:
        x = np.arange(65536, dtype=np.uint16).view(ml_dtypes.bfloat16).astype(np.float32)
        x = x[np.isfinite(x)].astype(np.float64)
    return x[(np.abs(x) >= probe.TINY[dtype]) | (x == 0)]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("name", ["softplus", "softsign"])
def test_forward_in_every_dtype(name, dtype):
    """The dtype is kept; within 1 ULP (float64: 4), or 0 where the docstring says TF flushes."""
    if dtype in ("float16", "bfloat16"):
        x = tf.constant(_every(dtype), dtype=dtype)  # float64 -> narrower: exact, no flush
    else:
        x = tf.constant(_normal_range(np.dtype(dtype).type, 1500))
    y = FUNCTIONS[name](x)
    assert y.dtype == x.dtype
    # To float64 in NumPy (ml_dtypes for bfloat16): a TensorFlow cast could flush.
    worst = _check(name, 0, x.numpy().astype(np.float64), y.numpy().astype(np.float64), dtype)
    print(f"{name} {dtype}: worst {worst:.4f} ULP")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softplus", "softsign"])
def test_derivatives_through_nested_tapes(name, dtype):
    """First and second derivatives from GradientTape, tails and huge |x| included."""
    edge = 110.0 if dtype == "float32" else 750.0
    x = np.concatenate([np.linspace(-edge, edge, 2001), _normal_range(np.dtype(dtype).type, 300)])
    x = x.astype(dtype)
    _, g, h = _derivatives(FUNCTIONS[name], tf.constant(x))
    assert g.dtype == h.dtype == x.dtype
    for order, result in ((1, g), (2, h)):
        print(f"{name} {dtype} order {order}: worst {_check(name, order, x, result, dtype):.4f}")


def test_third_derivative_is_the_formula():
    """The chain reaches grad3: softplus''' = -sign(x) e (1 - e) / (1 + e)**3, e = e**-|x|."""
    x = np.array([-30.0, -3.0, -0.5, 0.5, 2.0, 30.0])
    *_, g3 = _derivatives(sk.softplus, tf.constant(x), orders=3)
    with mp.workprec(ref.PRECISION):
        exact = [
            -mp.sign(t) * mp.exp(-abs(t)) * (1 - mp.exp(-abs(t))) / (1 + mp.exp(-abs(t))) ** 3
            for t in x.tolist()
        ]
    assert ref.ulp_errors(g3, exact).max() <= 8


def test_softsign_gradient_keeps_its_digits_for_huge_x():
    """1/(1+|x|)**2 itself, where the autodiff of x/(1+|x|) would cancel."""
    x = np.array([3e7, 1e8, 1e15, -4e18], np.float32)
    _, g = _derivatives(sk.softsign, tf.constant(x), orders=1)
    assert ref.ulp_errors(g, ref.reference(ref.softsign_grad, x)).max() <= 1.0
    naive = _derivatives(lambda t: t / (1 + tf.abs(t)), tf.constant(x), orders=1)[1]
    assert ref.ulp_errors(naive, ref.reference(ref.softsign_grad, x)).min() > 1e6


def test_upstream_gradient_multiplies_the_derivative():
    x = tf.constant(np.linspace(-5, 5, 11, dtype=np.float32))
    w = tf.constant(np.arange(11, dtype=np.float32) - 3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = sk.softplus(x)
    g = tape.gradient(y, x, output_gradients=w).numpy()
    assert np.array_equal(g, w.numpy() * _derivatives(sk.softplus, x, orders=1)[1])


# --- subnormal numbers: what TensorFlow's CPU kernels do


def test_tensorflow_flushes_subnormals():
    """Flush-to-zero and denormals-are-zero: a subnormal result or input is 0."""
    x = tf.constant(np.array([1e-40], np.float32))
    assert x.numpy()[0] != 0 and (x * 1.0).numpy()[0] == 0
    assert (tf.constant([1e-310], tf.float64) * 1.0).numpy()[0] == 0


@pytest.mark.parametrize(
    ("name", "order", "dtype", "threshold"),
    [
        ("softplus", 0, "float32", -87.33654475055311),
        ("softplus", 1, "float32", -87.33654475055311),
        ("softplus", 2, "float32", -87.33654475055311),
        ("softplus", 0, "bfloat16", -87.33654475055311),
        ("softplus", 0, "float64", -708.3964185322641),
        ("softplus", 2, "float64", -708.3964185322641),
        ("softsign", 1, "float32", 2.0**63),
        ("softsign", 2, "float32", 5.5411913777556356e12),
        ("softsign", 1, "float64", 2.0**511),
        ("softsign", 2, "float64", 3.5553731598732901e102),  # the intermediate
        ("softplus_beta3", 2, "float64", -236.13213951075470),  # the intermediate
    ],
)
def test_flush_thresholds(name, order, dtype, threshold):
    """The module docstring's thresholds: 0 on one side, within bound on the other.

    Consecutive numbers around the threshold (float64: every 16th, as the
    formula's few ULP of error leave the outcome open within a few numbers).
    """
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    unsigned = np.uint16 if dtype == "bfloat16" else {4: np.uint32, 8: np.uint64}[dt.itemsize]
    stride = 16 if dtype == "float64" else 1
    centre = np.asarray(threshold, dtype=dt).view(unsigned)
    x = (centre - unsigned(8 * stride) + stride * np.arange(17, dtype=unsigned)).view(dt)
    if name == "softplus_beta3":
        fn = sk.Softplus(beta=3.0, dtype=dtype)
    else:
        fn = FUNCTIONS[name]
    y = _derivatives(fn, tf.constant(x), orders=order)[order].astype(np.float64)
    x64 = x.astype(np.float64)
    _check(name, order, x64, y, dtype)
    exact = ref.reference(probe.exact(name, order), x64)
    zone, band = probe.flush_masks(name, order, dtype, x64, exact)
    assert zone.any() and (~zone & ~band).any(), f"the threshold is not inside {x64[[0, -1]]}"


def test_subnormal_inputs_are_read_as_zero():
    tiny32 = np.finfo(np.float32).smallest_normal
    x = tf.constant(np.array([tiny32 / 4, -tiny32 / 2], np.float32))
    y, g, h = _derivatives(sk.softsign, x)
    assert np.array_equal(y, [0.0, -0.0]) and np.array_equal(np.signbit(y), [False, True])
    assert np.array_equal(h, [0.0, 0.0])  # not -2 sign(x)
    assert np.array_equal(g, [1.0, 1.0])  # right anyway
    assert np.array_equal(sk.softplus(x).numpy(), np.float32([math.log(2)] * 2))


def test_float16_subnormal_results_are_kept():
    x = np.array([-10.0, -15.0, -16.5], np.float16)
    y, g = _derivatives(sk.softplus, tf.constant(x), orders=1)
    exact = ref.reference(ref.softplus, x)
    assert np.all(np.abs(y) < np.finfo(np.float16).smallest_normal)
    assert ref.ulp_errors(y, exact).max() <= 1.0 and np.array_equal(y, g)


def test_softplus_layer_gradient_with_beta():
    x = np.linspace(-40, 30, 701).astype(np.float32)
    _, g = _derivatives(sk.Softplus(beta=3.0), tf.constant(x), orders=1)
    _check("softplus_beta3", 1, x, g, "float32")
    normal = np.abs(sl.softplus_grad(x, beta=3.0)) >= np.finfo(np.float32).smallest_normal
    assert np.array_equal(g[normal], sl.softplus_grad(x, beta=3.0)[normal])  # correctly rounded
    assert np.all(g[~normal] == 0) and (~normal).any()


# --- real use


def _model() -> keras.Model:
    return probe._model()  # the model every backend trains


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)
    return x, np.sin(2 * x[:, :1] - x[:, 1:2])


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_model_trains_under_fit(jit_compile):
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", jit_compile=jit_compile)
    assert model.jit_compile is jit_compile
    x, y = _data()
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    print(f"jit_compile={jit_compile}: loss {history[0]:.4f} -> {history[-1]:.4f}")
    assert history[-1] < 0.6 * history[0]


def test_functional_api_and_saving(tmp_path):
    """Called on a symbolic keras.Input, the functions become layers of the graph."""
    inputs = keras.Input((3,))
    outputs = sk.softsign(keras.layers.Dense(2)(sk.softplus(inputs)))
    model = keras.Model(inputs, outputs)
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["Softplus", "Dense", "Softsign"]
    x = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert np.array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_activations_serialize_by_registered_name():
    assert keras.activations.serialize(sk.softplus)["config"] == "softlearn>softplus"
    assert keras.saving.get_registered_object("softlearn>softsign") is sk.softsign
    config = keras.activations.serialize(sk.softsign)
    assert keras.activations.deserialize(config) is sk.softsign
    layer = sk.Softplus(beta=0.5, name="sp")
    clone = sk.Softplus.from_config(layer.get_config())
    assert clone.beta == 0.5 and clone.name == "sp"


# --- bad input


@pytest.mark.parametrize("fn", [sk.softplus, sk.softsign])
@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.bool, tf.complex64])
def test_non_floating_tensors_raise_type_error(fn, dtype):
    with pytest.raises(TypeError, match=f"floating-point tensor; got dtype {dtype.name}"):
        fn(tf.zeros(3, dtype=dtype))


@pytest.mark.parametrize("beta", [0.0, -2.0, math.nan, math.inf])
def test_bad_beta_raises_value_error(beta):
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        sk.Softplus(beta=beta)


def test_beta_must_be_one_number():
    with pytest.raises(TypeError, match="beta must be a single number"):
        sk.Softplus(beta=[1.0, 2.0])
