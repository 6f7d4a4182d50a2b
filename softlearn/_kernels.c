/* softlearn._kernels: the functions as NumPy ufuncs, correctly rounded.
 *
 * Ziv's strategy, per element: an approximation and an error bound; if every
 * value within the bound rounds to the same float, that float is the result.
 * Otherwise the input takes the next, more precise path.  In the vector builds
 * the first tier (_tier1.h) decides a whole register at once with explicit
 * SIMD and hands its few undecided lanes to the scalar paths (_functions.h):
 * double for float32 and float16 results, then double-double, then (about
 * one float64 input in 2**21, essentially no float32 one) exact arithmetic
 * in Python (softlearn/_exact.py), with the GIL taken back for that element.
 * Strided inputs, per-element parameters and the generic build use blocks: a
 * branch-free pass the compiler vectorises, then the undecided elements.
 *
 * The kernels are listed once, in softlearn/_kernel_table.py; _kernel_list.h,
 * generated from it by tools/kernel_list.py, instantiates their loops
 * (_loops.h) and the X-macro KERNELS, from which this file registers them.
 *
 * setup.py builds this file three times: softlearn._kernels for any CPU, and
 * on x86-64 (not Windows) softlearn._kernels_avx2 (-march=x86-64-v3: AVX2 and
 * FMA; KERNELS_AVX2) and softlearn._kernels_avx512 (-march=x86-64-v4;
 * KERNELS_AVX512), which refuse to import on a CPU below their level.  All
 * three give the same bits: each result is the correctly rounded one.
 * softlearn/_native.py chooses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define NPY_TARGET_VERSION NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/ufuncobject.h>
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "_functions.h"
#if defined(KERNELS_AVX512) || defined(KERNELS_AVX2)
#define VECTOR 1
#include "_tier1.h"
#endif

#if defined(KERNELS_AVX512)
#define MODULE_NAME "softlearn._kernels_avx512"
#define INIT PyInit__kernels_avx512
#elif defined(KERNELS_AVX2)
#define MODULE_NAME "softlearn._kernels_avx2"
#define INIT PyInit__kernels_avx2
#else
#define MODULE_NAME "softlearn._kernels"
#define INIT PyInit__kernels
#endif

#define BLOCK 256

/* 0 sends every float32/float16 input past the double fast path, to check one
 * path against the other (softlearn.benchmarks.rounding). */
static int use_fast_path = 1;
static unsigned long long exact_calls = 0;

/* Outputs at least this large are written past the cache (streaming stores):
 * they cannot stay in it, and a store that misses it first reads the line.
 * Three quarters of the last-level cache, as glibc's memcpy decides, set
 * when the module loads. */
static npy_intp stream_bytes = (npy_intp)24 << 20;

/* ------------------------------------------------------------------ float16 */

static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : (e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25));
    return (h >> 15) ? -v : v;
}

/* Rounded to nearest, ties to even (nearbyint in the default rounding mode). */
static uint16_t double_to_half(double d) {
    uint16_t sign = signbit(d) ? 0x8000 : 0;
    double a = fabs(d);
    if (a != a) return sign | 0x7e00;
    if (a >= 65520.0) return sign | 0x7c00; /* from 65504 + half an ULP up: inf */
    if (a < 0x1p-14) return sign | (uint16_t)nearbyint(a * 0x1p24); /* 1024 is the smallest normal */
    int e;
    frexp(a, &e); /* 2**(e-1) <= a < 2**e */
    double r = nearbyint(ldexp(a, 11 - e)); /* 1024 <= r <= 2048; 2048 carries into the exponent */
    return sign | (uint16_t)(((uint32_t)(e + 14) << 10) + (uint32_t)r - 1024);
}

/* ------------------------------------------------------------ rounding tests */

/* The bound is widened by a few units of the arithmetic the test itself
 * rounds in, so that the rounded ends still enclose the exact value. */
INLINE int decided64(approx_dd a) {
    double e = a.err + fabs(a.hi) * 0x1p-104;
    return (a.err == 0) | ((a.err > 0) & (a.hi + (a.lo - e) == a.hi + (a.lo + e)));
}

INLINE int decided32(double y, double err) {
    double e = err + fabs(y) * 0x1p-51;
    return (err == 0) | ((err > 0) & ((double)(float)(y - e) == (double)(float)(y + e)));
}

INLINE int decided16(double y, double err) {
    double e = err + fabs(y) * 0x1p-51;
    return err == 0 || (err > 0 && double_to_half(y - e) == double_to_half(y + e));
}

/* The float32/float16 tests on a double-double: its rounding to double, y,
 * is within 2**-53 |y| of it, which the bound takes in (2**-52 |y|). */
INLINE approx_d narrow(approx_dd a) {
    double y = a.hi + a.lo;
    return (approx_d){y, a.err < 0 ? -1.0 : a.err + fabs(y) * 0x1p-52};
}

/* ---------------------------------------------------------------- exact path */

/* softlearn._exact.correctly_rounded(name, x, beta, kind), with the GIL held
 * for the call.  The function is looked up on every call (it costs nothing
 * beside the exact computation), so that it can be replaced in tests.  An
 * exception stays set, and NumPy raises it when the loop returns. */
static PyObject *exact_module = NULL;

static double exact(const char *name, double x, double beta, const char *kind) {
    PyGILState_STATE state = PyGILState_Ensure();
    double v = NAN;
    exact_calls++;
    if (!PyErr_Occurred()) {
        if (exact_module == NULL) exact_module = PyImport_ImportModule("softlearn._exact");
        PyObject *r = exact_module ? PyObject_CallMethod(exact_module, "correctly_rounded", "sdds",
                                                          name, x, beta, kind)
                                   : NULL;
        if (r) {
            v = PyFloat_AsDouble(r);
            Py_DECREF(r);
        }
    }
    PyGILState_Release(state);
    return v;
}

/* ---------------------------------------------------------------- loops */

/* A block of n elements as doubles; kind 'd' (float64) or 'f' (float32).  The
 * float16 loop converts one element at a time and does not come here. */
INLINE void load(double *dst, const char *src, npy_intp step, int n, int kind) {
    if (kind == 'd' && step == sizeof(double)) {
        memcpy(dst, src, n * sizeof(double));
        return;
    }
    if (kind == 'f' && step == sizeof(float)) {
        for (int i = 0; i < n; i++) dst[i] = ((const float *)src)[i];
        return;
    }
    for (int i = 0; i < n; i++, src += step) {
        if (kind == 'd') dst[i] = *(const double *)src;
        else dst[i] = *(const float *)src;
    }
}

INLINE void store(char *dst, npy_intp step, const double *src, int n, int kind) {
    if (kind == 'd' && step == sizeof(double)) {
        memcpy(dst, src, n * sizeof(double));
    } else if (kind == 'f' && step == sizeof(float)) {
        float *out = (float *)dst;
        for (int i = 0; i < n; i++) out[i] = (float)src[i];
    } else {
        for (int i = 0; i < n; i++, dst += step) {
            if (kind == 'd') *(double *)dst = src[i];
            else *(float *)dst = (float)src[i];
        }
    }
}

/* Whether any flag is set: one vectorised pass, so that the scalar pass over
 * the undecided elements runs only in the rare blocks that have one. */
INLINE int any_set(const unsigned char *flags, int n) {
    unsigned char any = 0;
    for (int i = 0; i < n; i++) any |= flags[i];
    return any != 0;
}

/* A parameter's block: its value repeated, for a function without it (the
 * fast paths take beta and threshold all the same) or a scalar one. */
INLINE void fill_param(double *dst, int n, double v) {
    for (int i = 0; i < n; i++) dst[i] = v;
}

/* A parameter's block from its array; step 0 is a scalar, read once. */
INLINE void load_param(double *dst, const char *src, npy_intp step, int n) {
    if (step == 0) fill_param(dst, n, *(const double *)src);
    else load(dst, src, step, n, 'd');
}

/* PyTorch's cut: beta x > threshold, computed in the tensor's dtype (float32
 * for float16 tensors). */
INLINE int cut64(double x, double b, double t) { return x * b > t; }
INLINE int cut32(double x, double b, double t) { return (float)x * (float)b > (float)t; }

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)

/* The one-argument functions, taking the parameter the loops pass and ignoring it. */
#define UNARY(NAME)                                                                           \
    INLINE approx_dd NAME##1_dd(double x, double b) { (void)b; return NAME##_dd(x); } \
    INLINE approx_d NAME##1_d(double x, double b) { (void)b; return NAME##_d(x); }

#include "_kernel_list.h"

/* ---------------------------------------------------------------- module */

#define LOOPS(NAME, NPARAM, K, DOC) \
    static PyUFuncGenericFunction loops_##NAME[] = {NAME##_f16, NAME##_f32, NAME##_f64};
KERNELS(LOOPS)
#undef LOOPS
static void *no_data[] = {NULL, NULL, NULL};

static char types_1[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static char types_2[] = {NPY_HALF, NPY_DOUBLE, NPY_HALF, NPY_FLOAT, NPY_DOUBLE, NPY_FLOAT,
                         NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static char types_3[] = {NPY_HALF, NPY_DOUBLE, NPY_DOUBLE, NPY_HALF, NPY_FLOAT, NPY_DOUBLE,
                         NPY_DOUBLE, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
/* by the number of parameters after x */
static char *types[] = {types_1, types_2, types_3};

static int add_ufunc(PyObject *m, const char *name, PyUFuncGenericFunction *loops, char *sig,
                     int nin, const char *doc) {
    PyObject *f = PyUFunc_FromFuncAndData(loops, no_data, sig, 3, nin, 1, PyUFunc_None, name, doc, 0);
    if (f == NULL) return -1;
    if (PyModule_AddObject(m, name, f) < 0) {
        Py_DECREF(f);
        return -1;
    }
    return 0;
}

/* --- helpers for the tests and softlearn.benchmarks.rounding */

static PyObject *py_set_fast_path(PyObject *self, PyObject *arg) {
    (void)self;
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    int old = use_fast_path;
    use_fast_path = on;
    return PyBool_FromLong(old);
}

static PyObject *py_set_stream_bytes(PyObject *self, PyObject *arg) {
    (void)self;
    Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) return NULL;
    npy_intp old = stream_bytes;
    stream_bytes = n;
    return PyLong_FromSsize_t(old);
}

static PyObject *py_exact_calls(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    return PyLong_FromUnsignedLongLong(exact_calls);
}

/* approximation(name, precision, x, beta) -> (hi, lo, err): a fast path's raw
 * output, precision "dd" or "d", for tests/test_bounds.py. */
static PyObject *py_approximation(PyObject *self, PyObject *args) {
    (void)self;
    const char *name, *prec;
    double x, b = 1.0;
    if (!PyArg_ParseTuple(args, "ssd|d", &name, &prec, &x, &b)) return NULL;
    int dd_ = strcmp(prec, "dd") == 0;
    approx_dd a;
#define CASE(NAME, NPARAM, K, DOC)                                  \
    if (strcmp(name, #NAME) == 0) {                                 \
        if (dd_) {                                                  \
            a = K##_dd(x, b);                                       \
        } else {                                                    \
            approx_d s = K##_d(x, b);                               \
            a = (approx_dd){s.y, 0.0, s.err};                       \
        }                                                           \
    } else
    KERNELS(CASE) {
        PyErr_Format(PyExc_ValueError, "no function %s", name);
        return NULL;
    }
#undef CASE
    feclearexcept(FE_ALL_EXCEPT);
    return Py_BuildValue("ddd", a.hi, a.lo, a.err);
}

static PyMethodDef methods[] = {
    {"set_fast_path", py_set_fast_path, METH_O,
     "set_fast_path(on) -> bool: whether float32/float16 try the double path first (default True)."},
    {"set_stream_bytes", py_set_stream_bytes, METH_O,
     "set_stream_bytes(n) -> int: outputs of n bytes and more bypass the cache (returns the old n)."},
    {"exact_calls", py_exact_calls, METH_NOARGS,
     "exact_calls() -> int: how many elements have gone to the exact path so far."},
    {"approximation", py_approximation, METH_VARARGS,
     "approximation(name, precision, x, beta=1.0) -> (hi, lo, err): a fast path's output."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, MODULE_NAME,
    "softlearn's functions as NumPy ufuncs, correctly rounded (see _kernels.c).", -1, methods,
};

PyMODINIT_FUNC INIT(void) {
#if defined(KERNELS_AVX512) || defined(KERNELS_AVX2)
    __builtin_cpu_init();
#endif
#if defined(KERNELS_AVX512)
    if (!__builtin_cpu_supports("x86-64-v4")) {
        PyErr_SetString(PyExc_ImportError, "this CPU is below x86-64-v4 (AVX-512)");
        return NULL;
    }
#elif defined(KERNELS_AVX2)
    if (!__builtin_cpu_supports("x86-64-v3")) {
        PyErr_SetString(PyExc_ImportError, "this CPU is below x86-64-v3 (AVX2, FMA)");
        return NULL;
    }
#endif
#if defined(_SC_LEVEL3_CACHE_SIZE)
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) stream_bytes = (npy_intp)(l3 / 4 * 3);
#endif
    import_array();
    import_umath();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
#define ADD(NAME, NPARAM, K, DOC)                                                   \
    if (add_ufunc(m, #NAME, loops_##NAME, types[NPARAM], NPARAM + 1, DOC) < 0) { \
        Py_DECREF(m);                                                           \
        return NULL;                                                            \
    }
    KERNELS(ADD)
#undef ADD
    return m;
}
