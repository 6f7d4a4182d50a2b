/* softlearn/_tier1_rational.h: the first tier of softsign and softsign_grad,
 * in the result's own precision, with exact residuals (a template).
 *
 * Included twice by _tier1.h: with T = vf (p = 24 significant bits) for
 * float32 results and T = vd (p = 53) for float64.  Both functions are
 * rational, so the error of a rounded quotient q can be measured: with FMA,
 * the residual R = N - q D of a quotient N/D comes out to one rounding, and
 * the exact quotient Q lies R/D from q.  So Q = q + l, with l = R/D known to
 * a small relative error 2**-k; where both ends of the interval q + l (1 -+
 * 2**-k) round to the same float, that float is RN(Q).  The test costs two
 * additions and a comparison, and fails only where Q lies within about
 * 2**-k |l| (|l| is an ulp or two) of a midpoint between floats: about one
 * lane in 2**(k-1); those go to the scalar paths.
 *
 * Parameters: T, M (float and mask registers), OP(x) (vf_x or vd_x), MOP(x)
 * (mf_x or md_x), SCALAR (float or double), UINT (the unsigned integer of
 * SCALAR's width), P (24 or 53), GRAD_LIMIT (see softsign_grad), NAME(x) (the
 * names of what is defined here); all undefined at the end, for the next
 * inclusion.
 */

typedef struct {
    T y;
    M bad;
} NAME(decision);

/* RN(q + l) where the exact offset lies within err of l: decided where both
 * ends of [l - err, l + err], added to q, round alike (RN is monotonic).
 * The ends are computed with one rounding each, of 2**-p relative, inside
 * the slack the callers leave in err (a factor 2).  A NaN stays NaN, decided. */
INLINE NAME(decision) NAME(round_sum)(T q, T l, T err) {
    T lo = OP(add)(q, OP(sub)(l, err));
    T hi = OP(add)(q, OP(add)(l, err));
    return (NAME(decision)){lo, OP(ne)(lo, hi)};
}

/* 1 + a as s + e exactly (Fast2Sum on the larger and the smaller). */
INLINE T NAME(one_plus)(T a, T *e) {
    T one = OP(set)(1);
    T s = OP(add)(one, a);
    *e = OP(sub)(OP(min)(one, a), OP(sub)(s, OP(max)(one, a)));
    return s;
}

/* softsign(x) = x / (1 + |x|), for a = |x|, the sign put back last.
 * 1 + a = s + e exactly; q = a/s rounded; R = a - q (s + e) by two FMAs, the
 * first exact (the residual of a rounded quotient), so R to 2**-p.  l = R r
 * with r = 1/s to 2**-22 (OP(recip)): l = (R/D) (1 + d), |d| < 2**-p (R) +
 * 2**-(p-1) (D = s (1 + e/s), |e/s| <= 2**-p) + 2**-22 + 2**-p (the
 * product) < 2**-21; err = l 2**-20 (its sign does not matter to the test).
 * Tiny a (down to subnormals and 0) needs nothing special: s = 1, e = a,
 * q = a, l = -a**2 (rounded).  a is clamped at 2**(p+2), where s =
 * 2**(p+2), e = 1, q = 1 and q + l = 1 - 2**-(p+2) rounds to 1 with its
 * whole interval, as softsign does from 2**(p+1) on; infinities need
 * nothing else.  NaN passes the clamp and stays NaN. */
INLINE NAME(decision) NAME(softsign)(T x, double b) {
    (void)b;
    T a = OP(min)(OP(set)((SCALAR)4 * (SCALAR)((UINT)1 << (P - 1)) * 2), OP(abs)(x));
    T e;
    T s = NAME(one_plus)(a, &e);
    T q = OP(div)(a, s);
    T R = OP(fnma)(q, e, OP(fnma)(q, s, a));
    T l = OP(mul)(R, OP(recip)(s));
    NAME(decision) d = NAME(round_sum)(q, l, OP(mul)(l, OP(set)(0x1p-20)));
    d.y = OP(copysign)(d.y, x);
    return d;
}

/* softsign_grad(x) = 1 / D, D = (1 + a)**2 = (s + e)**2 = Ph + t, with
 * Ph = s*s rounded and t = Pl + e (2s + e), Pl = s*s - Ph exact (FMA); t to
 * 2**-(p-1) of itself (two roundings), and |t| < 3 2**-p Ph.  q = 1/Ph
 * rounded; R = 1 - q D by two FMAs, the first exact: R to 2**-p plus
 * q 2**-(p-1) |t| < 3 2**-(2p-1).  l = R q: Q - q = R/D = R q (1 + d) with
 * |d| < 3 2**-(p-1) (q against 1/D) + 2**-p (the product).  So err =
 * |l| 2**-(p-4) + q 2**-(2p-4) covers both, with a factor 2 to spare.  Tiny
 * a: s = 1, e = a, q = 1 and l = -2a: nothing special.  a >= GRAD_LIMIT
 * (2**40; 2**400 for float64: q and l stay normal below it), infinities and
 * NaN: undecided. */
INLINE NAME(decision) NAME(softsign_grad)(T x, double b) {
    (void)b;
    T a = OP(abs)(x);
    T e;
    T s = NAME(one_plus)(a, &e);
    T Ph = OP(mul)(s, s);
    T Pl = OP(fma)(s, s, OP(sub)(OP(set)(0), Ph));
    T t = OP(fma)(e, OP(fma)(s, OP(set)(2), e), Pl);
    T one = OP(set)(1);
    T q = OP(div)(one, Ph);
    T R = OP(fnma)(q, t, OP(fnma)(q, Ph, one));
    T l = OP(mul)(R, q);
    T err = OP(fma)(OP(abs)(l), OP(set)((SCALAR)1 / (SCALAR)((UINT)1 << (P - 4))),
                    OP(mul)(q, OP(set)((SCALAR)1 / ((SCALAR)((UINT)1 << (P - 1)) * (SCALAR)((UINT)1 << (P - 3))))));
    NAME(decision) d = NAME(round_sum)(q, l, err);
    d.bad = MOP(or)(d.bad, MOP(or)(OP(ge)(a, OP(set)(GRAD_LIMIT)), OP(nan)(a)));
    return d;
}

#undef T
#undef M
#undef OP
#undef MOP
#undef SCALAR
#undef UINT
#undef P
#undef GRAD_LIMIT
#undef NAME
