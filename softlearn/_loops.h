/* softlearn/_loops.h: the three loops of one ufunc, included once per function
 * by _kernels.c with NAME (the ufunc), K (its fast paths K_dd and K_d),
 * NPARAM (0: x; 1: x, beta; 2: x, beta, threshold) and CUT (the result where
 * the threshold cuts: x or 1) defined.
 *
 * float64 and float32: blocks of BLOCK elements, a branch-free pass the
 * compiler vectorises, then a scalar pass over the undecided ones.  float16:
 * one element at a time (no speed target; the conversions are scalar).
 */
static void CAT(NAME, _f64)(char **args, npy_intp const *dims, npy_intp const *steps, void *data) {
    (void)data;
    double xb[BLOCK], bb[BLOCK], tb[BLOCK], hb[BLOCK], lb[BLOCK], eb[BLOCK], yb[BLOCK];
    unsigned char bad[BLOCK];
    npy_intp n = dims[0];
    load_param(bb, NULL, 0, BLOCK, 1.0, 0); /* the defaults, for the functions without */
    load_param(tb, NULL, 0, BLOCK, INFINITY, 0);
    for (npy_intp i0 = 0; i0 < n; i0 += BLOCK) {
        int m = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        load(xb, args[0] + i0 * steps[0], steps[0], m, 'd');
        if (NPARAM >= 1) load_param(bb, args[1] + i0 * steps[1], steps[1], m, 1.0, 1);
        if (NPARAM >= 2) load_param(tb, args[2] + i0 * steps[2], steps[2], m, INFINITY, 1);
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
            double x = xb[i];
            (void)x;
            int cut = (NPARAM == 2) & cut64(x, bb[i], tb[i]);
            yb[i] = cut ? (CUT) : hb[i] + lb[i];
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
    double xb[BLOCK], bb[BLOCK], tb[BLOCK], eb[BLOCK], yb[BLOCK];
    unsigned char bad[BLOCK], cb[BLOCK];
    npy_intp n = dims[0];
    int fast = use_fast_path;
    load_param(bb, NULL, 0, BLOCK, 1.0, 0);
    load_param(tb, NULL, 0, BLOCK, INFINITY, 0);
    memset(cb, 0, sizeof cb);
    for (npy_intp i0 = 0; i0 < n; i0 += BLOCK) {
        int m = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
        load(xb, args[0] + i0 * steps[0], steps[0], m, 'f');
        if (NPARAM >= 1) load_param(bb, args[1] + i0 * steps[1], steps[1], m, 1.0, 1);
        if (NPARAM >= 2) load_param(tb, args[2] + i0 * steps[2], steps[2], m, INFINITY, 1);
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
            double x = xb[i];
            (void)x;
            int cut = cb[i];
            bad[i] = (!cut) & (!(fast & decided32(yb[i], eb[i])));
            yb[i] = cut ? (CUT) : yb[i];
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
            y = (CUT);
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

#undef NAME
#undef K
#undef NPARAM
#undef CUT
