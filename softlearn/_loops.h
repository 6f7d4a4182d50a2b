/* softlearn/_loops.h: the three loops of one ufunc, included once per function
 * by _kernel_list.h with NAME (the ufunc), K (its fast paths K_dd and K_d),
 * NPARAM (0: x; 1: x, beta; 2: x, beta, threshold) and CUT(x) (the result
 * where the threshold cuts: x or 1) defined, and for the vector builds T1F
 * and T1D (the first tiers of _tier1.h for float32 and float64 results,
 * taking a register and beta), with T1_BETA(b) (the betas they accept) for
 * the functions with beta and CUT_VF(v) and CUT_VD(v) (CUT for a register)
 * for those with a threshold.  Everything defined is undefined at the end,
 * for the next function.
 *
 * float64 and float32, vector builds, contiguous x and y and scalar
 * parameters (the common case): one register at a time, the first tier
 * deciding almost every lane, and the few others finished one by one in the
 * scalar paths (NAME_one_*) before the next register.  Otherwise: blocks of
 * BLOCK elements, a branch-free pass the compiler vectorises, then a scalar
 * pass over the undecided ones.  float16: one element at a time (no speed
 * target; the conversions are scalar).
 */

#if defined(VECTOR) && (defined(T1F) || defined(T1D))
#ifndef T1_BETA
#define T1_BETA(b) 1
#endif

/* The vector loop applies: x and y contiguous, every parameter the same,
 * beta one the first tier takes. */
#define VECTOR_CASE(size)                                                                  \
    (steps[0] == (size) && steps[NPARAM + 1] == (size) && (NPARAM < 1 || steps[1] == 0) && \
     (NPARAM < 2 || steps[2] == 0) && T1_BETA(PARAM(0, 1.0)))
#define PARAM(i, dflt) (NPARAM > (i) ? *(const double *)args[(i) + 1] : (dflt))
#endif

#if defined(VECTOR) && defined(T1F)
/* The scalar paths for one element the first tier left undecided: double,
 * then double-double, then exact. */
static double CAT(NAME, _one_f32)(double x, double b) {
    if (use_fast_path) {
        approx_d s = CAT(K, _d)(x, b);
        if (decided32(s.y, s.err)) return s.y;
    }
    approx_d a = narrow(CAT(K, _dd)(x, b));
    return decided32(a.y, a.err) ? a.y : exact(STR(NAME), x, b, "f");
}

/* The lanes of one register the first tier left undecided, one by one in
 * the scalar paths; kept out of line so that the vector loop keeps its
 * registers.  The inputs come from the register, not from x: y may be x. */
static NOINLINE void CAT(NAME, _fix_f32)(vf v, float *y, unsigned bad, double b) {
    float xs[VF_N];
    vf_store(xs, v);
    for (; bad; bad &= bad - 1) {
        int k = __builtin_ctz(bad);
        y[k] = (float)CAT(NAME, _one_f32)(xs[k], b);
    }
}

/* One register of x: the first tier, PyTorch's threshold cut where asked
 * for (in float32, as PyTorch computes it), the result stored, the
 * undecided lanes fixed.  m lanes (the tail has fewer than VF_N). */
INLINE void CAT(NAME, _reg_f32)(const float *x, float *y, int m, double b, double t, int fast,
                                int stream) {
    (void)t;
    vf v = m == VF_N ? vf_load(x) : vf_load_n(x, m);
    t1f_decision d = T1F(v, b);
#if NPARAM == 2
    mf cut = vf_gt(vf_mul(v, vf_set((float)b)), vf_set((float)t));
    d.y = vf_sel(cut, CUT_VF(v), d.y);
    d.bad = mf_andnot(cut, d.bad);
#endif
    unsigned all = (unsigned)((1ull << m) - 1);
    unsigned bad = fast ? mf_bits(d.bad) & all : all;
    if (stream) vf_stream(y, d.y);
    else if (m == VF_N) vf_store(y, d.y);
    else vf_store_n(y, d.y, m);
    if (__builtin_expect(bad != 0, 0)) CAT(NAME, _fix_f32)(v, y, bad, b);
}

static NOINLINE void CAT(NAME, _vec_f32)(const float *x, float *y, npy_intp n, double b, double t) {
    int fast = use_fast_path;
    npy_intp i = 0;
    if (n * (npy_intp)sizeof(float) >= stream_bytes) {
        /* up to an aligned y, then whole registers past the cache */
        i = (npy_intp)(((sizeof(vf) - ((uintptr_t)y & (sizeof(vf) - 1))) & (sizeof(vf) - 1)) / 4);
        if (i) CAT(NAME, _reg_f32)(x, y, (int)i, b, t, fast, 0);
        for (; i + VF_N <= n; i += VF_N) CAT(NAME, _reg_f32)(x + i, y + i, VF_N, b, t, fast, 1);
        _mm_sfence();
    }
    for (; i + VF_N <= n; i += VF_N) CAT(NAME, _reg_f32)(x + i, y + i, VF_N, b, t, fast, 0);
    if (i < n) CAT(NAME, _reg_f32)(x + i, y + i, (int)(n - i), b, t, fast, 0);
}
#endif

#if defined(VECTOR) && defined(T1D)
/* As for float32, without the double path: double-double, then exact. */
static double CAT(NAME, _one_f64)(double x, double b) {
    approx_dd a = CAT(K, _dd)(x, b);
    return decided64(a) ? a.hi + a.lo : exact(STR(NAME), x, b, "d");
}

static NOINLINE void CAT(NAME, _fix_f64)(vd v, double *y, unsigned bad, double b) {
    double xs[VD_N];
    vd_store(xs, v);
    for (; bad; bad &= bad - 1) {
        int k = __builtin_ctz(bad);
        y[k] = CAT(NAME, _one_f64)(xs[k], b);
    }
}

INLINE void CAT(NAME, _reg_f64)(const double *x, double *y, int m, double b, double t, int stream) {
    (void)t;
    vd v = m == VD_N ? vd_load(x) : vd_load_n(x, m);
    t1d_decision d = T1D(v, b);
#if NPARAM == 2
    md cut = vd_gt(vd_mul(v, vd_set(b)), vd_set(t));
    d.y = vd_sel(cut, CUT_VD(v), d.y);
    d.bad = md_andnot(cut, d.bad);
#endif
    unsigned bad = md_bits(d.bad) & ((1u << m) - 1);
    if (stream) vd_stream(y, d.y);
    else if (m == VD_N) vd_store(y, d.y);
    else vd_store_n(y, d.y, m);
    if (__builtin_expect(bad != 0, 0)) CAT(NAME, _fix_f64)(v, y, bad, b);
}

static NOINLINE void CAT(NAME, _vec_f64)(const double *x, double *y, npy_intp n, double b, double t) {
    npy_intp i = 0;
    if (n * (npy_intp)sizeof(double) >= stream_bytes) {
        i = (npy_intp)(((sizeof(vd) - ((uintptr_t)y & (sizeof(vd) - 1))) & (sizeof(vd) - 1)) / 8);
        if (i) CAT(NAME, _reg_f64)(x, y, (int)i, b, t, 0);
        for (; i + VD_N <= n; i += VD_N) CAT(NAME, _reg_f64)(x + i, y + i, VD_N, b, t, 1);
        _mm_sfence();
    }
    for (; i + VD_N <= n; i += VD_N) CAT(NAME, _reg_f64)(x + i, y + i, VD_N, b, t, 0);
    if (i < n) CAT(NAME, _reg_f64)(x + i, y + i, (int)(n - i), b, t, 0);
}
#endif

static void CAT(NAME, _f64)(char **args, npy_intp const *dims, npy_intp const *steps, void *data) {
    (void)data;
    npy_intp n = dims[0];
#if defined(VECTOR) && defined(T1D)
    if (VECTOR_CASE(8)) {
        CAT(NAME, _vec_f64)((const double *)args[0], (double *)args[NPARAM + 1], n,
                            PARAM(0, 1.0), PARAM(1, INFINITY));
        feclearexcept(FE_ALL_EXCEPT);
        return;
    }
#endif
    double xb[BLOCK], bb[BLOCK], tb[BLOCK], hb[BLOCK], lb[BLOCK], eb[BLOCK], yb[BLOCK];
    unsigned char bad[BLOCK];
    fill_param(bb, BLOCK, 1.0); /* the defaults, for the functions without */
    fill_param(tb, BLOCK, INFINITY);
    for (npy_intp i0 = 0; i0 < n; i0 += BLOCK) {
        int m = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        load(xb, args[0] + i0 * steps[0], steps[0], m, 'd');
        if (NPARAM >= 1) load_param(bb, args[1] + i0 * steps[1], steps[1], m);
        if (NPARAM >= 2) load_param(tb, args[2] + i0 * steps[2], steps[2], m);
        /* Two passes: the approximations, then the tests.  In one, GCC 12
         * merges selects on doubles with the integer test and gives up. */
        _Pragma("omp simd")
        for (int i = 0; i < m; i++) {
            approx_dd a = CAT(K, _dd)(xb[i], bb[i]);
            hb[i] = a.hi;
            lb[i] = a.lo;
            eb[i] = a.err;
        }
        _Pragma("omp simd")
        for (int i = 0; i < m; i++) {
            int cut = (NPARAM == 2) & cut64(xb[i], bb[i], tb[i]);
            yb[i] = cut ? CUT(xb[i]) : hb[i] + lb[i];
            bad[i] = (!cut) & (!decided64((approx_dd){hb[i], lb[i], eb[i]}));
        }
        if (any_set(bad, m))
            for (int i = 0; i < m; i++)
                if (bad[i]) yb[i] = exact(STR(NAME), xb[i], bb[i], "d");
        store(args[NPARAM + 1] + i0 * steps[NPARAM + 1], steps[NPARAM + 1], yb, m, 'd');
    }
    feclearexcept(FE_ALL_EXCEPT); /* the unused branches' overflows are not the user's */
}

static void CAT(NAME, _f32)(char **args, npy_intp const *dims, npy_intp const *steps, void *data) {
    (void)data;
    npy_intp n = dims[0];
#if defined(VECTOR) && defined(T1F)
    if (VECTOR_CASE(4)) {
        CAT(NAME, _vec_f32)((const float *)args[0], (float *)args[NPARAM + 1], n, PARAM(0, 1.0),
                            PARAM(1, INFINITY));
        feclearexcept(FE_ALL_EXCEPT);
        return;
    }
#endif
    double xb[BLOCK], bb[BLOCK], tb[BLOCK], eb[BLOCK], yb[BLOCK];
    unsigned char bad[BLOCK], cb[BLOCK];
    int fast = use_fast_path;
    fill_param(bb, BLOCK, 1.0);
    fill_param(tb, BLOCK, INFINITY);
    memset(cb, 0, sizeof cb);
    for (npy_intp i0 = 0; i0 < n; i0 += BLOCK) {
        int m = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        load(xb, args[0] + i0 * steps[0], steps[0], m, 'f');
        if (NPARAM >= 1) load_param(bb, args[1] + i0 * steps[1], steps[1], m);
        if (NPARAM >= 2) load_param(tb, args[2] + i0 * steps[2], steps[2], m);
        _Pragma("omp simd")
        for (int i = 0; i < m; i++) {
            approx_d a = CAT(K, _d)(xb[i], bb[i]);
            yb[i] = a.y;
            eb[i] = a.err;
        }
        /* float arithmetic for the cut in a pass of its own, for the same reason */
        if (NPARAM == 2)
            for (int i = 0; i < m; i++) cb[i] = cut32(xb[i], bb[i], tb[i]);
        _Pragma("omp simd")
        for (int i = 0; i < m; i++) {
            int cut = cb[i];
            bad[i] = (!cut) & (!(fast & decided32(yb[i], eb[i])));
            yb[i] = cut ? CUT(xb[i]) : yb[i];
        }
        if (any_set(bad, m)) {
            for (int i = 0; i < m; i++) {
                if (!bad[i]) continue;
                approx_d a = narrow(CAT(K, _dd)(xb[i], bb[i]));
                yb[i] = decided32(a.y, a.err) ? a.y : exact(STR(NAME), xb[i], bb[i], "f");
            }
        }
        store(args[NPARAM + 1] + i0 * steps[NPARAM + 1], steps[NPARAM + 1], yb, m, 'f');
    }
    feclearexcept(FE_ALL_EXCEPT);
}

static void CAT(NAME, _f16)(char **args, npy_intp const *dims, npy_intp const *steps, void *data) {
    (void)data;
    double b = 1.0, t = INFINITY;
    for (npy_intp i = 0; i < dims[0]; i++) {
        double x = half_to_double(*(uint16_t *)(args[0] + i * steps[0]));
        if (NPARAM >= 1) b = *(double *)(args[1] + i * steps[1]);
        if (NPARAM >= 2) t = *(double *)(args[2] + i * steps[2]);
        double y;
        if (NPARAM == 2 && cut32(x, b, t)) {
            y = CUT(x);
        } else {
            approx_d a = CAT(K, _d)(x, b);
            if (!(use_fast_path && decided16(a.y, a.err))) {
                a = narrow(CAT(K, _dd)(x, b));
                if (!decided16(a.y, a.err)) a = (approx_d){exact(STR(NAME), x, b, "e"), 0.0};
            }
            y = a.y;
        }
        *(uint16_t *)(args[NPARAM + 1] + i * steps[NPARAM + 1]) = double_to_half(y);
    }
    feclearexcept(FE_ALL_EXCEPT);
}

#if defined(VECTOR) && (defined(T1F) || defined(T1D))
#undef VECTOR_CASE
#undef PARAM
#endif
#undef NAME
#undef K
#undef NPARAM
#undef CUT
#undef T1F
#undef T1D
#undef T1_BETA
#undef CUT_VF
#undef CUT_VD
