/* softlearn._kernels: compiled loops for softsign, softplus and their derivatives.
 *
 * Same results as the NumPy evaluation in softlearn/_formulas.py (both within
 * 1 ULP of the exact value), without its working dtype: float64 is computed in
 * double-double arithmetic instead of the x87 long double, which is slow and
 * does not exist on every platform, and float32 goes through the same double
 * code and is rounded once more.  Every loop is branch-free, so that the
 * compiler vectorises it.
 *
 * How each result stays within 1 ULP: e**-a is computed as hi + lo with a
 * relative error below 2**-59, log1p(e) with a relative error below 2**-58,
 * and every division is corrected with its exact remainder (fma).  The sum
 * before the final rounding is then within 2**-58 of the exact value, so the
 * result is within 0.5 + 2**-5 ULP.  tests/test_accuracy.py measures it.
 *
 * Rounding must be exactly as written: this file is compiled with
 * -ffp-contract=off (no implicit fma) and never with -ffast-math.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_tables.h"

/* setup.py builds this file twice: as softlearn._kernels for any CPU, and on
 * x86-64 as softlearn._kernels_avx2 with -mavx2 -mfma (KERNELS_AVX2), which
 * refuses to import on a CPU without them; softlearn/_native.py takes the
 * best one that imports. */
#ifdef KERNELS_AVX2
#define MODULE_NAME "softlearn._kernels_avx2"
#define INIT PyInit__kernels_avx2
#else
#define MODULE_NAME "softlearn._kernels"
#define INIT PyInit__kernels
#endif

typedef struct {
    double hi, lo;
} dd;

static inline dd two_sum(double a, double b) {
    double s = a + b, bb = s - a;
    return (dd){s, (a - (s - bb)) + (b - bb)};
}

static inline dd fast_two_sum(double a, double b) { /* |a| >= |b| */
    double s = a + b;
    return (dd){s, b - (s - a)};
}

static inline double pow2(int64_t k) { /* 2**k for -1022 <= k <= 1023 */
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* (hi + lo) / (d.hi + d.lo) as a double-double, the division corrected by its
 * exact remainder. */
static inline dd divide(double hi, double lo, dd d) {
    double q = hi / d.hi;
    double rem = fma(-q, d.hi, hi);
    return (dd){q, (rem + lo - q * d.lo) / d.hi};
}

/* e**-a for 0 <= a <= 1e5 as (hi + lo) * 2**-m, hi in [0.49, 1.01].
 *
 * With `precise` 0 (float32 results, which need only about 2**-40) the
 * corrections that make the double-double exact to 2**-59 are left out; the
 * argument is a constant, so the compiler removes the dead code. */
typedef struct {
    double hi, lo;
    int64_t m;
} scaled;

static inline scaled exp_neg(double a, const int precise) {
    /* a = k ln2/32 - r, |r| <= ln2/64: e**-a = 2**(-k/32) e**r */
    const double shift = 0x1.8p52;
    double kd = a * INV_LN2_32 + shift;
    double k = kd - shift;
    int64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    ki &= (INT64_C(1) << 51) - 1;
    int64_t j = ki & 31; /* 64-bit: AVX2 gathers with it, and has no 64-to-32 narrowing */
    double th = EXP2_NEG_HI[j];
    double t = k * LN2_32_HI - a; /* exact: 30-bit constant, then Sterbenz */
    dd r = precise ? two_sum(t, k * LN2_32_LO) : (dd){t + k * LN2_32_LO, 0.0};
    double x = r.hi;
    double q = precise ? x * x *
                             (0.5 + x * (1.0 / 6 +
                                         x * (1.0 / 24 + x * (1.0 / 120 + x * (1.0 / 720 + x / 5040)))))
                       : x * x * (0.5 + x * (1.0 / 6 + x * (1.0 / 24)));
    double tl = precise ? EXP2_NEG_LO[j] : 0.0;
    double s = th * x;
    double s_err = precise ? fma(th, x, -s) : 0.0;
    dd e = precise ? fast_two_sum(th, s) : (dd){th, s};
    e = precise ? fast_two_sum(e.hi, e.lo + (tl + s_err + th * (r.lo + q) + tl * x))
                : (dd){th + (s + th * q), 0.0};
    return (scaled){e.hi, e.lo, ki >> 5};
}

/* (hi + lo) * 2**-m rounded once (twice where the result is subnormal, which
 * stays within 0.5 ULP plus 2**-53 of one). */
static inline double scale_round(double hi, double lo, int64_t m) {
    double v = hi + lo;
    double first = m <= 1000 ? pow2(-m) : pow2(-1000);
    int64_t rest = m <= 1000 ? 0 : (m - 1000 < 1000 ? m - 1000 : 1000);
    return v * first * pow2(-rest);
}

/* log1p(e) for e = hi + lo in [0, 1]: log(c) + 2 atanh(v / (2c + v)) with
 * c = 1 + i/16 and v = 1 + e - c in [0, 1/16). */
static inline dd log1p_dd(double hi, double lo, const int precise) {
    if (!precise) {
        /* float32: 2 atanh(e / (2 + e)), the argument <= 1/3, to 2**-38 with a
         * longer series and no table, whose loads cost more than the series */
        double t = hi / (2 + hi), u = t * t;
        double s = u * (1.0 / 3 + u * (1.0 / 5 + u * (1.0 / 7 + u * (1.0 / 9 + u * (1.0 / 11 +
                   u * (1.0 / 13 + u * (1.0 / 15 + u * (1.0 / 17 + u * (1.0 / 19 + u / 21)))))))));
        return (dd){2 * t + 2 * t * s, 0.0};
    }
    int i = (int)(hi * 16); /* 32-bit: AVX2 converts doubles to int32 only */
    double c = 1 + i * 0.0625;
    double v = hi - i * 0.0625; /* exact (Sterbenz) */
    dd den = fast_two_sum(2 * c, v);
    den.lo += lo;
    dd t = divide(v, lo, den);
    double u = t.hi * t.hi;
    double s = u * (1.0 / 3 + u * (1.0 / 5 + u * (1.0 / 7 + u * (1.0 / 9 + u / 11))));
    dd sum = two_sum(LOG_C_HI[i], 2 * t.hi);
    sum.lo += LOG_C_LO[i] + 2 * t.lo + 2 * t.hi * s;
    return sum;
}

/* --- the four functions, one double at a time */

static inline double softsign_1(double x, const int precise) {
    double a = fabs(x);
    dd d = precise ? two_sum(1.0, a) : (dd){1.0 + a, 0.0};
    dd y = precise ? divide(x, 0.0, d) : (dd){x / d.hi, 0.0};
    /* beyond 2**60 the result rounds to +-1, and 1 + a would overflow */
    return copysign(a >= 0x1p60 ? 1.0 : y.hi + y.lo, x); /* odd, -0 too; NaN stays NaN */
}

static inline double softsign_grad_1(double x, const int precise) {
    double a = fabs(x);
    dd d = precise ? two_sum(1.0, a) : (dd){1.0 + a, 0.0};
    dd r = precise ? divide(1.0, 0.0, d) : (dd){1.0 / d.hi, 0.0};
    double sq = r.hi * r.hi;
    double y = precise ? sq + (fma(r.hi, r.hi, -sq) + 2 * r.hi * r.lo) : sq;
    return a < 0x1p600 ? y : (a == a ? 0.0 : x); /* 1/a**2 < 2**-1200 rounds to 0 */
}

static inline double softplus_1(double x, const int precise) {
    double a = fabs(x);
    double ac = a < 1e5 ? a : 1e5; /* NaN too: e**-1e5 is 0 */
    scaled e = exp_neg(ac, precise);
    /* |x| <= 40: max(x, 0) + log1p(e); beyond, log1p(e) = e to 2**-58 */
    int64_t m = e.m < 64 ? e.m : 64;
    dd l = log1p_dd(e.hi * pow2(-m), e.lo * pow2(-m), precise);
    dd s = precise ? two_sum(x, l.hi) : (dd){x + l.hi, 0.0};
    double near = x > 0 ? s.hi + (s.lo + l.lo) : l.hi + l.lo;
    double far = x > 0 ? x : scale_round(e.hi, e.lo, e.m);
    double y = a <= 40 ? near : far;
    return x == x ? y : x;
}

static inline double sigmoid_1(double x, const int precise) {
    double a = fabs(x);
    double ac = a < 1e5 ? a : 1e5;
    scaled e = exp_neg(ac, precise);
    int64_t m = e.m < 1000 ? e.m : 1000;
    dd d = fast_two_sum(1.0, e.hi * pow2(-m));
    d.lo += e.lo * pow2(-m);
    /* x >= 0: 1 / (1 + e); x < 0: e / (1 + e), divided before scaling by 2**-m */
    double nh = x >= 0 ? 1.0 : e.hi, nl = x >= 0 ? 0.0 : e.lo;
    dd q = precise ? divide(nh, nl, d) : (dd){nh / d.hi, 0.0};
    double y = scale_round(q.hi, q.lo, x >= 0 ? 0 : e.m);
    return x == x ? y : x;
}

/* --- loops */

/* float32 goes through the double code and is rounded once more; with
 * `precise` 0 the double-double corrections it does not need are left out. */
#define LOOPS(name)                                                                   \
    static void name##_f64(const double *restrict x, double *restrict y, Py_ssize_t n) { \
        _Pragma("omp simd") for (Py_ssize_t i = 0; i < n; i++) y[i] = name##_1(x[i], 1);  \
    }                                                                                 \
    static void name##_f32(const float *restrict x, float *restrict y, Py_ssize_t n) {   \
        _Pragma("omp simd") for (Py_ssize_t i = 0; i < n; i++)                         \
            y[i] = (float)name##_1((double)x[i], 0);                                  \
    }

LOOPS(softsign)
LOOPS(softsign_grad)
LOOPS(softplus)
LOOPS(sigmoid)

/* --- Python wrappers: f(x, out), both 1-d C-contiguous, same float dtype */

typedef void (*loop64)(const double *, double *, Py_ssize_t);
typedef void (*loop32)(const float *, float *, Py_ssize_t);

static PyObject *run(PyObject *args, loop64 f64, loop32 f32) {
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "OO", &xo, &yo)) return NULL;
    Py_buffer x, y;
    if (PyObject_GetBuffer(xo, &x, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(yo, &y, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&x);
        return NULL;
    }
    const char *fx = x.format ? x.format : "B", *fy = y.format ? y.format : "B";
    int ok = x.len == y.len && strcmp(fx, fy) == 0 &&
             (strcmp(fx, "d") == 0 || strcmp(fx, "f") == 0);
    if (!ok) {
        PyErr_Format(PyExc_TypeError,
                     "x and out must be contiguous float32 or float64 buffers of one "
                     "dtype and size (got formats %s and %s)", fx, fy);
    } else if (fx[0] == 'd') {
        Py_BEGIN_ALLOW_THREADS f64(x.buf, y.buf, x.len / 8);
        Py_END_ALLOW_THREADS
    } else {
        Py_BEGIN_ALLOW_THREADS f32(x.buf, y.buf, x.len / 4);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

#define WRAPPER(name) \
    static PyObject *py_##name(PyObject *self, PyObject *args) { \
        (void)self;                                              \
        return run(args, name##_f64, name##_f32);                \
    }

WRAPPER(softsign)
WRAPPER(softsign_grad)
WRAPPER(softplus)
WRAPPER(sigmoid)

static PyMethodDef methods[] = {
    {"softsign", py_softsign, METH_VARARGS, "softsign(x, out)"},
    {"softsign_grad", py_softsign_grad, METH_VARARGS, "softsign_grad(x, out)"},
    {"softplus", py_softplus, METH_VARARGS, "softplus(x, out), beta = 1"},
    {"sigmoid", py_sigmoid, METH_VARARGS, "sigmoid(x, out): the derivative of softplus"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, MODULE_NAME,
    "Compiled loops for softsign, softplus and their derivatives (see _kernels.c).", -1,
    methods,
};

PyMODINIT_FUNC INIT(void) {
#ifdef KERNELS_AVX2
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        PyErr_SetString(PyExc_ImportError, "this CPU has no AVX2 and FMA");
        return NULL;
    }
#endif
    return PyModule_Create(&module);
}
