/* softlearn/_functions.h: each function's fast paths, in double-double (for
 * float64 results) and in double (for float32 and float16 results).
 *
 * Each returns an approximation and its absolute error bound (see _math.h for
 * the conventions and the primitives' bounds).  Every path is branch-free, so
 * that the compiler vectorises the loops that call it; special inputs (NaN,
 * infinities, results that round to 0 or to +-1) are chosen with selects and
 * given err = 0 where the approximation is the exact answer's rounding.
 *
 * beta reaches these functions already checked (finite and > 0: softlearn's
 * Python functions check it; the loops apply the threshold); a beta outside
 * [2**-360, 2**500] sends every input to the exact path, which keeps the
 * products below from overflowing or underflowing.
 */
#ifndef SOFTLEARN_FUNCTIONS_H
#define SOFTLEARN_FUNCTIONS_H

#include "_math.h"

/* A result known exactly; -0.0 as the low part keeps the sign of a zero. */
#define EXACT_DD(v) ((approx_dd){(v), -0.0, 0.0})

/* The lower end keeps beta_abs's clamps below harmless: beta 2**400 > 1e3,
 * and e**-1e3 / beta < 2**-1082, below anything a float64 result keeps. */
#define BETA_OK(b) ((b) >= 0x1p-360 && (b) <= 0x1p500)

/* A double-double q 2**m as a float64 approximation with relative error rel.
 * Below 2**-967 the low part would lose bits to the subnormal range, so
 * those go to the exact path; below 2**-1076 the result rounds to 0. */
INLINE approx_dd scaled_dd(dd q, int64_t m, double rel) {
    int64_t e = exponent_of(q.hi) + m; /* 2**e <= |q 2**m| < 2**(e+1) */
    approx_dd r = {scale(q.hi, m), scale(q.lo, m), fabs(scale(q.hi, m)) * rel};
    r = e < -967 ? UNDECIDED_DD : r;
    return e < -1077 ? EXACT_DD(0.0) : r;
}

/* ---------------------------------------------------------------- softsign */

/* x / (1 + |x|): 1 + |x| exact as a two_sum, then dd_div: rel < 2**-100.
 * |x| >= 2**60 rounds to +-1; |x| < 2**-500 rounds to x. */
INLINE approx_dd softsign_dd(double x) {
    double a = fabs(x);
    dd q = dd_div((dd){x, 0.0}, two_sum(1.0, a));
    approx_dd r = {q.hi, q.lo, fabs(q.hi) * 0x1p-100};
    r = a >= 0x1p60 ? EXACT_DD(copysign(1.0, x)) : r;
    r = a < 0x1p-500 ? EXACT_DD(x) : r;
    return is_nan(x) ? EXACT_DD(x) : r;
}

/* rel < 2**-51: the sum and the division, one rounding each. */
INLINE approx_d softsign_d(double x) {
    double a = fabs(x);
    double y = x / (1.0 + a);
    approx_d r = {y, fabs(y) * 0x1p-51};
    r = a >= 0x1p60 ? (approx_d){copysign(1.0, x), 0.0} : r;
    return is_nan(x) ? (approx_d){x, 0.0} : r;
}

/* 1 / (1 + |x|)**2: r = 1/(1 + |x|) by dd_div (2**-101), then r*r by dd_mul
 * (2**-102, and twice r's error): rel < 2**-99.  Results below 2**-968 go to
 * the exact path; |x| >= 2**540 rounds to 0. */
INLINE approx_dd softsign_grad_dd(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 0x1p500);
    dd r = dd_div((dd){1.0, 0.0}, two_sum(1.0, ac));
    dd s = dd_mul(r, r);
    approx_dd out = {s.hi, s.lo, s.hi * 0x1p-99};
    out = a >= 0x1p484 ? UNDECIDED_DD : out;
    out = a >= 0x1p540 ? EXACT_DD(0.0) : out;
    return is_nan(x) ? EXACT_DD(x) : out;
}

/* rel < 2**-50: the sum, the division and the square (twice the division's). */
INLINE approx_d softsign_grad_d(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 0x1p100); /* float32 inputs stay below 2**128 */
    double r = 1.0 / (1.0 + ac);
    double y = r * r;
    approx_d out = a == INFINITY ? (approx_d){0.0, 0.0} : (approx_d){y, y * 0x1p-50};
    return is_nan(x) ? (approx_d){x, 0.0} : out;
}

/* ------------------------------------------------ softplus and the sigmoid */

/* beta |x| as a double-double, exact for beta in [2**-360, 2**500] (two_prod)
 * and clamped at 1e3, beyond which e**-z is far below anything kept. */
INLINE dd beta_abs(double beta, double a) {
    dd p = two_prod(beta, min_pos(a, 0x1p400));
    int64_t small = lt_pos(beta * a, 1e3);
    return (dd){sel(small, p.hi, 1e3), sel(small, p.lo, 0.0)};
}

/* softplus(x) = max(x, 0) + log1p(e**-z) / beta, z = beta |x|.
 * e**-z by exp_dd (2**-78); log1p_dd adds 2**-79.5 and passes on the 2**-78
 * (e > 0: the factor is at most 1); the division by beta, 2**-101; adding x
 * (same sign) keeps the bound.  So rel < 2**-77.4; we use 2**-76.
 * Above z = 40, log1p(e) = e (1 - e/2) to e**2/3 < 2**-115 relative. */
INLINE approx_dd softplus_dd(double x, double beta) {
    double a = fabs(x);
    dd z = beta_abs(beta, a);
    scaled e = exp_dd(-z.hi, -z.lo);
    int64_t near = lt_pos(z.hi, 40.0);
    /* near: e scaled to its value (2**m >= 2**-58, exact) */
    double f = pow2(e.m & -near);
    dd l = log1p_dd(sel(near, e.hi * f, 0.0), sel(near, e.lo * f, 0.0));
    l = near ? l : fast_two_sum(e.hi, e.lo - 0.5 * e.hi * scale(e.hi, e.m));
    int64_t m = e.m & (near - 1); /* the tail is l 2**m: m = 0 if near */
    dd tail = beta == 1.0 ? l : dd_div(l, (dd){beta, 0.0});
    approx_dd neg = scaled_dd(tail, m, 0x1p-76);
    /* x > 0: x + tail; the tail's 2**m is >= 2**-1100 here or it is dropped */
    double th = scale(tail.hi, m), tl = scale(tail.lo, m);
    dd s = two_sum(x, th);
    s = fast_two_sum(s.hi, s.lo + tl);
    approx_dd pos = {s.hi, s.lo, s.hi * 0x1p-76};
    approx_dd r = x > 0 ? pos : neg;
    r = BETA_OK(beta) ? r : UNDECIDED_DD;
    r = a == INFINITY ? EXACT_DD(x > 0 ? x : 0.0) : r;
    return is_nan(x) ? EXACT_DD(x) : r;
}

/* e**-z for the double paths: rel < 2**-49 + |z| 2**-52, the second term
 * from the rounding of beta |x| (an error d in z is a relative error d). */
INLINE double exp_neg_d(double x, double beta, double *rel) {
    double z = min_pos(beta * fabs(x), 1e3);
    scaled_d e = exp_d(-z);
    *rel = 0x1p-49 + (beta == 1.0 ? 0.0 : z * 0x1p-52);
    return scale(e.y, e.m);
}

/* rel < e's + 2**-49: log1p_d (2**-50), e's error passed on at most once
 * (e > 0), the division by beta and the sum, one rounding each. */
INLINE approx_d softplus_d(double x, double beta) {
    double rel;
    double e = exp_neg_d(x, beta, &rel);
    double l = e < 0x1p-30 ? e - 0.5 * e * e : log1p_d(e); /* e**3/3 < 2**-90 */
    double tail = l / beta;
    double y = (x > 0 ? x : 0.0) + tail;
    approx_d r = {y, y * (rel + 0x1p-49)};
    r = BETA_OK(beta) ? r : UNDECIDED_D;
    r = fabs(x) == INFINITY ? (approx_d){x > 0 ? x : 0.0, 0.0} : r;
    return is_nan(x) ? (approx_d){x, 0.0} : r;
}

/* sigmoid(beta x) = 1/(1 + e) for x >= 0, e/(1 + e) for x < 0, e = e**-z.
 * 1 + e as a double-double from e's value (its low part flushed below 2**-1100,
 * an absolute 2**-1100 against 1); dd_div, 2**-101.  e's 2**-78 passes on at
 * most once (the factor is 1/(1+e) <= 1).  rel < 2**-77.9; we use 2**-76. */
INLINE approx_dd sigmoid_dd(double x, double beta) {
    double a = fabs(x);
    dd z = beta_abs(beta, a);
    scaled e = exp_dd(-z.hi, -z.lo);
    dd den = fast_two_sum(1.0, scale(e.hi, e.m));
    den.lo += scale(e.lo, e.m);
    dd num = x >= 0 ? (dd){1.0, 0.0} : (dd){e.hi, e.lo};
    dd q = dd_div(num, den);
    approx_dd r = scaled_dd(q, e.m & -(int64_t)(x < 0), 0x1p-76);
    r = BETA_OK(beta) ? r : UNDECIDED_DD;
    return is_nan(x) ? EXACT_DD(x) : r;
}

/* rel < e's + 2**-51: the sum and the division, one rounding each. */
INLINE approx_d sigmoid_d(double x, double beta) {
    double rel;
    double e = exp_neg_d(x, beta, &rel);
    double y = (x >= 0 ? 1.0 : e) / (1.0 + e);
    approx_d r = {y, y * (rel + 0x1p-51)};
    r = BETA_OK(beta) ? r : UNDECIDED_D;
    return is_nan(x) ? (approx_d){x, 0.0} : r;
}

/* ------------------------------------------------------------ softplus_inverse */

/* expm1(z) for |z| <= 0.45 as a double-double, with its absolute error bound.
 * |z| < 2**-9: the series z + z**2/2 (exact) + z**3/6 + ... + z**7/5040 drops
 * z**8/8! < |z| 2**-78.3, and the double part, < |z| 2**-20.5, has rel
 * 2**-51 (four roundings, and 1/6 itself): rel < 2**-71.4; we use 2**-70.  Otherwise e**z - 1 from exp_dd: e**z scaled exactly
 * (m is -1 or 0), 1 subtracted exactly (Sterbenz), so the absolute error is
 * exp_dd's, 2**-78 e**z < 1.57 2**-78 (0x1.93p-78). */
INLINE dd expm1_dd(dd z, double *abs_err) {
    double zh = z.hi;
    dd sq = two_prod(zh, zh);
    double cube = sq.hi * zh *
                  (1.0 / 6 + zh * (1.0 / 24 + zh * (1.0 / 120 + zh * (1.0 / 720 + zh * (1.0 / 5040)))));
    dd ser = two_sum(zh, 0.5 * sq.hi);
    ser = fast_two_sum(ser.hi, ser.lo + (z.lo + 0.5 * sq.lo + zh * z.lo + cube));
    scaled e = exp_dd(z.hi, z.lo);
    double f = pow2(e.m);
    dd ex = two_sum(e.hi * f, -1.0);
    ex = fast_two_sum(ex.hi, ex.lo + e.lo * f);
    int small = fabs(zh) < 0x1p-9;
    *abs_err = small ? fabs(ser.hi) * 0x1p-70 : 0x1.93p-78;
    return small ? ser : ex;
}

/* softplus_inverse(y) = log(e**(beta y) - 1) / beta, z = beta y (exact).
 *   z >= 1: y + log1p(-e**-z)/beta.  The log1p error is 1.45 e's 2**-78 plus
 *     2**-79.5 < 2**-76.7 of L = log1p(-e), and |L/beta| < 0.46 y, so
 *     |L/beta| 2**-76 + the sum's rounding covers it.  Above z = 40,
 *     log1p(-e) = -e - e**2/2 to e**3/3 < 2**-115 relative.
 *   z in [0.45, 1): log1p(2 expm1(z - ln2)) / beta, no cancellation at the
 *     zero z = ln2: z - ln2 to 2**-105 relative (three-part ln2, each part
 *     added with a two_sum, z.lo too), expm1_dd's absolute
 *     error E becomes at most 2E/(1 + 2 expm1) < 3.6 E, plus log1p_dd's
 *     2**-79.5 relative.
 *   z < 0.45: log(expm1(z)) / beta.  |log| > 0.56, so expm1's relative error
 *     becomes an absolute one, plus log_dd's 2**-79 relative.
 * Below z = 2**-960 the product is not exact: the exact path. */
INLINE approx_dd softplus_inverse_dd(double y, double beta) {
    dd z = two_prod(beta, min_pos(y, 0x1p900));
    double zc = min_pos(z.hi, 1e3);
    int64_t zsmall = lt_pos(z.hi, 1e3) & lt_pos(y, 0x1p900);
    z = (dd){sel(zsmall, z.hi, INFINITY), sel(zsmall, z.lo, 0.0)};
    /* high */
    scaled w = exp_dd(-zc, sel(zsmall, -z.lo, 0.0));
    int64_t near = lt_pos(zc, 40.0);
    double f = pow2(w.m & -near);
    dd l = log1p_dd(-sel(near, w.hi * f, 0.5), -sel(near, w.lo * f, 0.0));
    double wv = scale(w.hi, w.m);
    l = near ? l : (dd){-wv - 0.5 * wv * wv, 0.0};
    dd lb = beta == 1.0 ? l : dd_div(l, (dd){beta, 0.0});
    dd hi_s = two_sum(y, lb.hi);
    hi_s = fast_two_sum(hi_s.hi, hi_s.lo + lb.lo);
    double hi_err = fabs(lb.hi) * 0x1p-76 + fabs(hi_s.hi) * 0x1p-100;
    /* mid */
    /* z.hi - LN2_1 is exact (Sterbenz); z.lo can be as large as the
     * difference itself near the zero, so it goes in with a two_sum too. */
    dd d1 = two_sum(z.hi - LN2_1, z.lo);
    dd d = two_sum(d1.hi, -LN2_2);
    d = fast_two_sum(d.hi, d.lo + (d1.lo - LN2_3));
    double ed;
    dd em = expm1_dd(d, &ed);
    dd lm = log1p_dd(2 * em.hi, 2 * em.lo);
    double mid_err = (3.6 * ed + fabs(lm.hi) * 0x1p-79) / beta;
    /* low */
    double el;
    int64_t low = lt_pos(zc, 0.45);
    dd ez = expm1_dd((dd){sel(low, z.hi, 0.25), sel(low, z.lo, 0.0)}, &el);
    dd ll = log_dd(ez.hi, ez.lo);
    double low_err = (el / ez.hi * 1.01 + fabs(ll.hi) * 0x1p-79) / beta;
    dd lo_q = zc < 0.45 ? ll : lm;
    dd q = beta == 1.0 ? lo_q : dd_div(lo_q, (dd){beta, 0.0});
    double q_err = (zc < 0.45 ? low_err : mid_err) + fabs(q.hi) * 0x1p-100;
    approx_dd r = zc >= 1 ? (approx_dd){hi_s.hi, hi_s.lo, hi_err} : (approx_dd){q.hi, q.lo, q_err};
    r = BETA_OK(beta) ? r : UNDECIDED_DD;
    r = z.hi >= 0x1p-960 ? r : UNDECIDED_DD;
    r = y == INFINITY ? EXACT_DD(y) : r;
    r = y == 0 ? EXACT_DD(-INFINITY) : r;
    r = y < 0 ? EXACT_DD(NAN) : r;
    return is_nan(y) ? EXACT_DD(y) : r;
}

/* expm1(z) for |z| <= 0.35 in double, with its absolute error bound:
 * the series to z**7/8! for |z| < 2**-6 (drops z**8/8! < |z| 2**-57, rel
 * 2**-52 from its evaluation), else e**z - 1, exact subtraction, 2**-49 e**z. */
INLINE double expm1_d(double z, double *abs_err) {
    double ser = z + z * z * (0.5 + z * (1.0 / 6 + z * (1.0 / 24 + z * (1.0 / 120 +
                 z * (1.0 / 720 + z * (1.0 / 5040 + z * (1.0 / 40320)))))));
    scaled_d e = exp_d(z);
    double ex = e.y * pow2(e.m) - 1.0;
    int small = fabs(z) < 0x1p-6;
    *abs_err = small ? fabs(ser) * 0x1p-51 : 0x1p-48;
    return small ? ser : ex;
}

/* The double version of softplus_inverse_dd, same regions and arguments,
 * with z = beta y rounded: an error of |z| 2**-53 in the exponent, carried
 * as an absolute error of |z| 2**-52 / beta (times 3.6 in the mid region). */
INLINE approx_d softplus_inverse_d(double y, double beta) {
    double z = beta * y;
    double zc = min_pos(z, 1e3);
    double zerr = beta == 1.0 ? 0.0 : zc * 0x1p-52;
    /* high */
    scaled_d w = exp_d(-zc);
    double wv = scale(w.y, w.m);
    double l = wv < 0x1p-30 ? -wv - 0.5 * wv * wv : log1p_d(-wv);
    double xh = y + l / beta;
    double hi_err = (fabs(l) * (0x1p-48 + zerr * 1.5) + fabs(xh) * beta * 0x1p-52) / beta;
    /* mid */
    double d = (z - LN2_1) - LN2_2;
    double ed;
    double em = expm1_d(d, &ed);
    double lm = log1p_d(2 * em);
    double mid_err = (3.6 * (ed + zerr * 2.0) + fabs(lm) * 0x1p-49) / beta;
    /* low */
    double el;
    double ez = expm1_d(sel(lt_pos(zc, 0.45), zc, 0.25), &el);
    double ll = log_d(ez);
    double low_err = ((el / ez + zerr * 2.0) * 1.01 + fabs(ll) * 0x1p-49) / beta;
    double xq = (zc < 0.45 ? ll : lm) / beta;
    double q_err = (zc < 0.45 ? low_err : mid_err) + fabs(xq) * 0x1p-52;
    approx_d r = zc >= 1 ? (approx_d){xh, hi_err} : (approx_d){xq, q_err};
    r = BETA_OK(beta) ? r : UNDECIDED_D;
    r = z >= 0x1p-960 ? r : UNDECIDED_D;
    r = y == INFINITY ? (approx_d){y, 0.0} : r;
    r = y == 0 ? (approx_d){-INFINITY, 0.0} : r;
    r = y < 0 ? (approx_d){NAN, 0.0} : r;
    return is_nan(y) ? (approx_d){y, 0.0} : r;
}

/* -------------------------------------------------------------------- tanh */

/* tanh(a), a = |x|, sign restored at the end.
 *   a < 2**-9: a - a**3/3 + 2a**5/15 - 17a**7/315 + 62a**9/2835 drops
 *     < a 2**-96; a**3/3 in double-double, the rest (< a 2**-38.9) in
 *     double (rel 2**-52 of 2**-38.9): rel < 2**-90.5; we use 2**-88.
 *   a < 0.55: -m/(2 + m), m = expm1(-2a) = e**-2a - 1 (exact subtraction of
 *     exp_dd's value): absolute error 2**-78 in m, 2**-77.8 in the quotient.
 *   a >= 0.55: (1 - e)/(1 + e), e = e**-2a <= 1/3: e's absolute error
 *     2**-78 e <= 2**-79.6 moves the quotient by < 2**-78.5; rel < 2**-77.5
 *     (tanh >= 1/2). */
INLINE approx_dd tanh_dd(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 400.0);
    /* series */
    dd sq = two_prod(ac, ac);
    dd cube = two_prod(ac, sq.hi);
    cube.lo += ac * sq.lo;
    dd c3 = two_prod(cube.hi, THIRD_HI);
    c3.lo += cube.hi * THIRD_LO + cube.lo * THIRD_HI;
    double u = sq.hi;
    double rest = ac * u * u * (2.0 / 15 + u * (-17.0 / 315 + u * (62.0 / 2835)));
    dd ser = two_sum(ac, -c3.hi);
    ser = fast_two_sum(ser.hi, ser.lo + (rest - c3.lo));
    /* exp */
    scaled e = exp_dd(-2 * ac, 0.0);
    double f = scale(1.0, e.m);
    double eh = e.hi * f, elo = e.lo * f;
    dd m = two_sum(eh, -1.0);
    m = fast_two_sum(m.hi, m.lo + elo);
    dd den_mid = fast_two_sum(2.0, m.hi);
    den_mid.lo += m.lo;
    dd mid = dd_div((dd){-m.hi, -m.lo}, den_mid);
    dd num = two_sum(1.0, -eh);
    num.lo -= elo;
    dd den = fast_two_sum(1.0, eh);
    den.lo += elo;
    dd big = dd_div(num, den);
    approx_dd r = a >= 0.55 ? (approx_dd){big.hi, big.lo, big.hi * 0x1p-77}
                            : (approx_dd){mid.hi, mid.lo, 0x1.7p-78 + mid.hi * 0x1p-100};
    r = a < 0x1p-9 ? (approx_dd){ser.hi, ser.lo, ser.hi * 0x1p-88} : r;
    r = (approx_dd){copysign(r.hi, x), copysign(1.0, x) * r.lo, r.err};
    r = a < 0x1p-500 ? EXACT_DD(x) : r;
    return is_nan(x) ? EXACT_DD(x) : r;
}

/* Same regions in double: series to a**7 (drops < a 2**-60) with rel 2**-51;
 * m = e**-2a - 1 with absolute error 2**-49 (twice in the quotient), and
 * (1 - e)/(1 + e) with e's 2**-49 e. */
INLINE approx_d tanh_d(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 400.0);
    double u = ac * ac;
    double ser = ac + ac * u * (-1.0 / 3 + u * (2.0 / 15 + u * (-17.0 / 315)));
    scaled_d e = exp_d(-2 * ac);
    double ev = scale(e.y, e.m);
    double m = ev - 1.0;
    double mid = -m / (2.0 + m);
    double big = (1.0 - ev) / (1.0 + ev);
    approx_d r = a >= 0.55 ? (approx_d){big, big * 0x1p-48} : (approx_d){mid, 0x1p-47};
    r = a < 0x1p-6 ? (approx_d){ser, ser * 0x1p-51} : r;
    r = (approx_d){copysign(r.y, x), r.err};
    return is_nan(x) ? (approx_d){x, 0.0} : r;
}

/* 4e/(1 + e)**2, e = e**-2|x|: 1 + e and its square in double-double
 * (2**-102), dd_div (2**-101); e's 2**-78 passes on with the factor
 * (1 - e)/(1 + e) <= 1.  rel < 2**-77.9; we use 2**-76. */
INLINE approx_dd tanh_grad_dd(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 400.0);
    scaled e = exp_dd(-2 * ac, 0.0);
    dd den = fast_two_sum(1.0, scale(e.hi, e.m));
    den.lo += scale(e.lo, e.m);
    dd q = dd_div((dd){4 * e.hi, 4 * e.lo}, dd_mul(den, den));
    approx_dd r = scaled_dd(q, e.m, 0x1p-76);
    return is_nan(x) ? EXACT_DD(x) : r;
}

/* rel < 2 e's + 2**-50: the sum, the square and the division. */
INLINE approx_d tanh_grad_d(double x) {
    double a = fabs(x);
    double ac = min_pos(a, 400.0);
    scaled_d e = exp_d(-2 * ac);
    double ev = scale(e.y, e.m);
    double d = 1.0 + ev;
    double y = 4 * ev / (d * d);
    return is_nan(x) ? (approx_d){x, 0.0} : (approx_d){y, y * 0x1p-47};
}

#endif
