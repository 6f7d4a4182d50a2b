"""softlearn.keras: parity with TensorFlow/Keras, exact gradients, saving, training, bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import softlearn as sl
import softlearn.keras as sk
from softlearn import reference as ref
from softlearn.inputs import all_finite


def _normal_range(dtype: type, n: int = 4000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)
    lo, hi = math.log10(float(fi.smallest_normal)), math.log10(float(fi.max))
    mags = 10 ** rng.uniform(lo, hi, n)
    return np.concatenate([rng.uniform(-50, 50, n), rng.choice([-1, 1], n) * mags]).astype(dtype)


def test_tensorflow_flushes_subnormals():
    """Why softlearn.keras multiplies gradients in NumPy: TensorFlow would flush them."""
    x = tf.constant(np.array([1e-40], np.float32))
    assert x.numpy()[0] != 0 and (x * 1.0).numpy()[0] == 0
    assert tf.cast(tf.constant([1e-310], tf.float64) * 1.0, tf.float64).numpy()[0] == 0


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
    """Within 2 ULP of the peer; beyond that, softlearn is the one nearer mpmath."""
    x = _normal_range(dtype)
    a = ours(tf.constant(x)).numpy()
    b = np.asarray(theirs(tf.constant(x)))
    spacing = np.spacing(np.maximum(np.abs(b), np.finfo(dtype).smallest_normal)).astype(np.float64)
    far = np.abs(a.astype(np.float64) - b) / spacing > 2
    peer = f"{theirs.__module__}.{theirs.__name__}"
    print(f"{name} vs {peer} {np.dtype(dtype)}: {far.sum()} differ > 2 ULP")
    if far.any():
        exact = ref.reference(reffn, x[far])
        mine, yours = ref.ulp_errors(a[far], exact), ref.ulp_errors(b[far], exact)
        i = int(np.argmax(yours))
        print(f"  e.g. x = {x[far][i]!r}: softlearn {mine[i]:.2f} ULP, peer {yours[i]:.3g} ULP")
        assert np.all(mine <= 1.0)
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


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize(
    ("fn", "reffn"),
    [(sk.softplus, ref.softplus), (sk.softsign, ref.softsign)],
    ids=["softplus", "softsign"],
)
def test_forward_within_one_ulp(fn, reffn, dtype):
    if dtype == "float16":
        x = tf.constant(all_finite(np.float16))
    elif dtype == "bfloat16":
        x = tf.bitcast(tf.cast(tf.range(-32768, 32768), tf.int16), tf.bfloat16)  # every bfloat16
        x = tf.boolean_mask(x, tf.math.is_finite(x))
    else:
        x = tf.constant(_normal_range(np.dtype(dtype).type, 1500))
    y = fn(x)
    assert y.dtype == x.dtype
    # Convert in NumPy: a TensorFlow cast would flush subnormals.
    x64, y64 = x.numpy().astype(np.float64), y.numpy().astype(np.float64)
    err = ref.ulp_errors(y64, ref.reference(reffn, x64), dtype)
    assert err.max() <= 1.0, f"{err.max():.3f} ULP at x = {x64[int(err.argmax())]!r}"


# --- gradients


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("fn", "grad"),
    [(sk.softplus, sl.softplus_grad), (sk.softsign, sl.softsign_grad)],
    ids=["softplus", "softsign"],
)
def test_gradient_tape_matches_numpy_grad(fn, grad, dtype):
    x = tf.constant(_normal_range(dtype, 2000))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    g = tape.gradient(y, x).numpy()
    reffn = ref.sigmoid if fn is sk.softplus else ref.softsign_grad
    assert ref.ulp_errors(g, ref.reference(reffn, x.numpy())).max() <= 1.0
    assert np.array_equal(g, grad(x.numpy()))  # subnormal gradients included


def test_softplus_layer_gradient_with_beta():
    x = tf.constant(np.linspace(-30, 30, 601), dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = sk.Softplus(beta=3.0)(x)
    g = tape.gradient(y, x).numpy()
    assert np.array_equal(g, sl.softplus_grad(x.numpy(), beta=3.0))
    assert 0 < g[0] < np.finfo(np.float32).smallest_normal  # subnormal, and kept


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_second_derivative_through_nested_tapes(dtype):
    x = tf.constant([-3.0, 0.0, 2.0, 40.0], dtype=dtype)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = sk.softplus(x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x).numpy()
    s = sl.sigmoid(x.numpy().astype(np.float64))
    expected = s * sl.sigmoid(-x.numpy().astype(np.float64))
    assert np.allclose(h, expected, rtol=1e-6, atol=0)  # e**-40 included: no cancellation


def test_float64_works_inside_tf_function():
    @tf.function
    def f(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = sk.softplus(t)
        return y, tape.gradient(y, t)

    x = tf.constant([-40.0, 0.0, 40.0], dtype=tf.float64)
    y, g = f(x)
    assert np.array_equal(y.numpy(), sl.softplus(x.numpy()))
    assert np.array_equal(g.numpy(), sl.softplus_grad(x.numpy()))


# --- real use


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation=sk.softplus),
            sk.Softplus(beta=2.0),
            keras.layers.Dense(16, activation=sk.softsign),
            sk.Softsign(),
            keras.layers.Dense(1),
        ]
    )


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)
    return x, np.sin(2 * x[:, :1] - x[:, 1:2])


def test_a_model_trains_under_fit():
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x, y = _data()
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    print(f"loss {history[0]:.4f} -> {history[-1]:.4f}")
    assert history[-1] < 0.6 * history[0]


@pytest.mark.slow
def test_model_saves_and_loads_in_a_fresh_process(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", model.predict(x, verbose=0))
    script = textwrap.dedent(
        f"""
        import numpy as np, keras
        import softlearn.keras  # registers the activations and layers
        model = keras.models.load_model({str(path)!r})
        y = model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)
        assert np.array_equal(y, np.load({str(tmp_path / "expected.npy")!r})), "predictions differ"
        print([type(layer).__name__ for layer in model.layers])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Softplus" in out.stdout and "Softsign" in out.stdout


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
