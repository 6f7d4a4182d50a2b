/* softlearn/_math.h: the arithmetic of the scalar fast paths (Ziv's strategy).
 *
 * The primitives here (error-free transformations, double-double operations,
 * exp, log1p, log) return approximations only; the error bound of each is
 * argued in the comment above it.  softlearn/_functions.h builds each
 * function's approximation from them, attaches the bound those arguments
 * give (approx_dd, approx_d), and softlearn/_kernels.c applies the rounding
 * test: if every value within the bound rounds to the same float, that float
 * is the correctly rounded result.  Otherwise the input goes to a more
 * accurate path (the double-double one, then exact arithmetic in Python,
 * softlearn/_exact.py).  This is how CORE-MATH makes the C library's functions
 * correctly rounded (Sibidanov, Zimmermann and Glondu, "The CORE-MATH
 * project", ARITH 2022); the code here is our own.
 *
 * Two families:
 *   *_d  double arithmetic, for float32 and float16 results: relative error
 *        bounds of about 2**-48, against the 2**-25 a float32 needs; about one
 *        input in 2**22 is left undecided.
 *   *_dd double-double arithmetic, for float64 results: bounds of about
 *        2**-76, against 2**-54; about one input in 2**21 is left undecided.
 *
 * Conventions.  u = 2**-53 is the unit roundoff; "rel" is a relative error.
 * Each bound is stated where it is computed, with the argument, and
 * tests/test_bounds.py measures the functions' bounds against mpmath at the
 * inputs where the arguments say they are largest.  An approximation with
 * err < 0 means "not decided here" (special ranges, such as results in the
 * subnormal range of float64, which go straight to the exact path).
 *
 * Rounding must be exactly as written: this file is compiled with
 * -ffp-contract=off (no implicit fma) and never with -ffast-math.
 */
#ifndef SOFTLEARN_MATH_H
#define SOFTLEARN_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_tables.h"

/* Everything inlines into the loops, or the compiler cannot vectorise them. */
#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
/* The rare paths (a register's undecided lanes): out of line, so that the
 * vector loops keep their registers. */
#define NOINLINE __attribute__((noinline))
#else
#define INLINE static inline
#define NOINLINE
#endif

#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define HAVE_FMA 1
#endif

typedef struct {
    double hi, lo;
} dd;

/* A float64 approximation hi + lo, its absolute error bound err. */
typedef struct {
    double hi, lo, err;
} approx_dd;

/* A float32/float16 approximation y, its absolute error bound err. */
typedef struct {
    double y, err;
} approx_d;

#define UNDECIDED_DD ((approx_dd){0.0, 0.0, -1.0})
#define UNDECIDED_D ((approx_d){0.0, -1.0})

/* --- error-free transformations (Knuth, Dekker) */

INLINE dd two_sum(double a, double b) {
    double s = a + b, bb = s - a;
    return (dd){s, (a - (s - bb)) + (b - bb)};
}

INLINE dd fast_two_sum(double a, double b) { /* |a| >= |b| or a == 0 */
    double s = a + b;
    return (dd){s, b - (s - a)};
}

INLINE dd two_prod(double a, double b) { /* exact unless the product underflows */
#ifdef HAVE_FMA
    double p = a * b;
    return (dd){p, fma(a, b, -p)};
#else
    /* Dekker's product with Veltkamp's split; exact for |a|, |b| < 2**995 */
    const double split = 134217729.0; /* 2**27 + 1 */
    double p = a * b;
    double ca = split * a, ah = ca - (ca - a), al = a - ah;
    double cb = split * b, bh = cb - (cb - b), bl = b - bh;
    return (dd){p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
#endif
}

/* a / b for double-doubles with |lo| <= 2u|hi|: rel < 2**-101.  The remainder
 * a.hi - q b.hi is exact (q is the rounded quotient); the correction adds two
 * roundings of 2**-105 and drops a second-order term of 2**-104. */
INLINE dd dd_div(dd a, dd b) {
    double q = a.hi / b.hi;
    dd p = two_prod(q, b.hi);
    double r = ((a.hi - p.hi) - p.lo) + (a.lo - q * b.lo);
    return fast_two_sum(q, r / b.hi);
}

/* a * b: rel < 2**-102 (a.lo b.lo, 2**-104, dropped; three roundings of 2**-106). */
INLINE dd dd_mul(dd a, dd b) {
    dd p = two_prod(a.hi, b.hi);
    return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

/* A double's bits as an integer and back (memcpy: the one portable way). */
INLINE int64_t bits_of(double d) {
    int64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

INLINE double from_bits(int64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

INLINE int is_nan(double x) { return (bits_of(x) & INT64_MAX) > INT64_C(0x7ff0000000000000); }

/* The unbiased exponent field: E with 2**E <= |v| < 2**(E+1) for v normal. */
INLINE int64_t exponent_of(double v) { return ((bits_of(v) >> 52) & 0x7ff) - 1023; }

/* (double)k for |k| < 2**51, with integer arithmetic: AVX2 has no vector
 * conversion from int64. */
INLINE double int_to_double(int64_t k) { return from_bits(k + INT64_C(0x4338000000000000)) - 0x1.8p52; }

/* The integer kd - 0x1.8p52, for kd the sum of a value and 0x1.8p52 (the
 * sum rounds the value to an integer k): for |k| < 2**51 the significand of
 * kd holds 2**51 + k.  Integer arithmetic, as for int_to_double. */
INLINE int64_t magic_to_int(double kd) {
    return (bits_of(kd) & ((INT64_C(1) << 52) - 1)) - (INT64_C(1) << 51);
}

/* Selects that feed a table index are made on the bits, as integers: GCC
 * (12) does not vectorise a gather whose index depends on a comparison of
 * doubles.  For a, c >= 0 (NaN with its sign bit clear counting as above
 * infinity) the order of the bits is the order of the values: a < c. */
INLINE int64_t lt_pos(double a, double c) { return bits_of(a) < bits_of(c); }

/* c ? a : b, for a condition c from lt_pos */
INLINE double sel(int64_t c, double a, double b) { return from_bits(c ? bits_of(a) : bits_of(b)); }

INLINE double min_pos(double a, double c) { return sel(lt_pos(a, c), a, c); }

/* 2**k for -1022 <= k <= 1023.  The shift is unsigned, so that another k
 * (in lanes whose result is not used) gives garbage, not undefined behaviour. */
INLINE double pow2(int64_t k) { return from_bits((int64_t)(((uint64_t)k + 1023) << 52)); }

/* v 2**k for |k| <= 2000 (k beyond is taken as +-2000), as two products by
 * normal powers of two, so that no 0 * inf makes a NaN.  Exact while v and
 * the result are normal (the intermediate lies between them); a result in
 * the subnormal range may be rounded twice. */
INLINE double scale(double v, int64_t k) {
    int64_t k1 = k < -1000 ? -1000 : (k > 1000 ? 1000 : k);
    int64_t k2 = k - k1;
    k2 = k2 < -1000 ? -1000 : (k2 > 1000 ? 1000 : k2);
    return v * pow2(k1) * pow2(k2);
}

/* --- exp */

/* The reduction shared by both precisions: k = round(z N/ln2), so that
 * z = k ln2/N + r with |r| <= ln2/(2N) (1 + 2**-30) (the product z N/ln2 is
 * rounded), and e**z = 2**m 2**(j/N) e**r with k = m N + j, 0 <= j < N.
 * t = z - k LN2_N_1 is the first part of r, exact: k LN2_N_1 has at most 48
 * bits for |k| < 2**18 (|z| < 1e3), and when k != 0 it is within a factor 2
 * of z (Sterbenz).  The callers subtract k LN2_N_2 (and k LN2_N_3). */
typedef struct {
    double k, t;
    int64_t j, m;
} reduced;

INLINE reduced reduce(double z) {
    /* Any z gives a j inside the table (masked); m is garbage only in lanes
     * whose result is not used. */
    const double shift = 0x1.8p52;
    double kd = z * INV_LN2_N + shift;
    double k = kd - shift;
    int64_t ki = magic_to_int(kd);
    return (reduced){k, z - k * LN2_N_1, ki & (EXP_N - 1), ki >> EXP_LOG2_N};
}

/* e**(zh + zl) = (hi + lo) 2**m for -1e3 <= zh <= 1e3, |zl| <= 2**-40 |zh|
 * or |zl| <= 2**-60: rel < 2**-78.
 *
 * r = t - k LN2_N_2 - k LN2_N_3 as rh + rl: the product with LN2_N_2 exact
 * (two_prod), k LN2_N_3 < 2**-78.8 rounded (2**-132), |rl| < 2**-61.
 * e**r = 1 + rh + rh**2/2 + P + rl (1 + rh + rh**2/2):
 *   - P = rh**3 (1/6 + rh/24 + rh**2/120 + rh**3/720 + rh**4/5040) drops
 *     rh**8/8! e**|r| < 2**-83.5; |P| < 2**-28.2, computed with rel 2**-50.9,
 *     so 2**-79.1;
 *   - rh + rh**2/2 exact as h (two_prod, then two_sum);
 *   - rl e**rh truncated after rh**2/2: 2**-61 2**-27.6 = 2**-89;
 *   - the low parts added in double: two roundings of 2**-81.1.
 * So e**r to 2**-78.4 (relative, e**r >= 0.997).  Times 2**(j/N) (hi + lo
 * to 2**-106): three roundings and a dropped term, 2**-102.5.  e**zl = 1 + zl
 * to zl**2/2 < 2**-80.  Total < 2**-78. */
typedef struct {
    double hi, lo;
    int64_t m;
} scaled;

INLINE scaled exp_dd(double zh, double zl) {
    reduced q = reduce(zh);
    dd p2 = two_prod(q.k, -LN2_N_2);
    dd r = two_sum(q.t, p2.hi);
    double rl = r.lo + (p2.lo - q.k * LN2_N_3);
    double rh = r.hi;
    dd s = two_prod(rh, rh);
    dd h = two_sum(rh, 0.5 * s.hi);
    double poly = 1.0 / 6 + rh * (1.0 / 24 + rh * (1.0 / 120 + rh * (1.0 / 720 + rh * (1.0 / 5040))));
    double p = (s.hi * rh) * poly;
    double small = ((h.lo + 0.5 * s.lo) + rl * (1.0 + rh + 0.5 * s.hi)) + p;
    dd e = fast_two_sum(1.0, h.hi);
    e.lo += small;
    double th = EXP2_HI[q.j], tl = EXP2_LO[q.j];
    dd t = two_prod(th, e.hi);
    t = fast_two_sum(t.hi, t.lo + (th * e.lo + tl * e.hi));
    t = fast_two_sum(t.hi, t.lo + t.hi * zl);
    return (scaled){t.hi, t.lo, q.m};
}

/* e**z = y 2**m for |z| <= 1e3: rel < 2**-49.
 * r = t - k LN2_N_2 rounded: 2**-53 |r| + 2**-96.  The polynomial drops
 * r**5/120 < 2**-49.6; its evaluation and the table value (rounded to
 * double) add three roundings, 2**-51.4. */
typedef struct {
    double y;
    int64_t m;
} scaled_d;

INLINE scaled_d exp_d(double z) {
    reduced q = reduce(z);
    double r = q.t - q.k * LN2_N_2;
    double er = r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24)));
    double th = EXP2_HI[q.j];
    return (scaled_d){th + th * er, q.m};
}

/* --- log1p */

/* i = e M rounded to the nearest integer, clamped to the table (NaN and
 * unused lanes too).  Then v = e - i/M is exact (Sterbenz: for i != 0, e and
 * i/M have one sign and are within a factor 2), |v| <= 1/(2M). */
INLINE int64_t table_index(double e) {
    int64_t i = magic_to_int(e * LOG_M + 0x1.8p52);
    i = i < LOG_MIN ? LOG_MIN : i;
    return i > LOG_M ? LOG_M : i;
}

/* log(1 + e) for e = eh + el in [-1/2, 1], |el| <= 2u |eh|: rel < 2**-79.5.
 *
 * c = 1 + i/M with i = table_index(eh), v = eh - i/M exact, |v| <= 1/(2M).
 * log(1 + e) = log c + 2 atanh(t), t = (v + el) / (2c + v + el),
 * |t| < 2**-7.99 (c >= 1/2), u = t**2 < 2**-15.9; the bounds below use
 * u < 2**-14, which would hold for |v| up to 1/M.
 * 2 atanh t = 2t + 2t**3/3 + 2t u**2 (1/5 + u/7 + u**2/9 + u**3/11) drops
 * 2t u**6/13 < 2t 2**-87.7.  t: dd_div, 2**-101.  The cubic term in
 * double-double (2**-100); the rest, < 2t 2**-30.3, with rel 2**-50: 2**-80.3;
 * its addition, 2**-83.3.  So 2 atanh t to 2**-80.  log c and 2 atanh t have
 * the same sign, so adding them (two_sum) keeps the relative error.
 *
 * An error d (relative) in e becomes at most 1.45 d in log1p(e) on this
 * range (e / ((1 + e) log1p(e)) <= 1.45 at e = -1/2). */
INLINE dd log1p_dd(double eh, double el) {
    int64_t i = table_index(eh);
    double c = 1.0 + i * (1.0 / LOG_M);
    double v = eh - i * (1.0 / LOG_M);
    dd num = two_sum(v, el);
    dd den = fast_two_sum(2.0 * c, v);
    den.lo += el;
    dd t = dd_div(num, den);
    dd q = two_prod(t.hi, t.hi);
    dd cube = two_prod(t.hi, q.hi);
    cube.lo += t.hi * q.lo + 3.0 * q.hi * t.lo;
    dd c3 = two_prod(cube.hi, 2 * THIRD_HI);
    c3.lo += cube.hi * (2 * THIRD_LO) + cube.lo * (2 * THIRD_HI);
    double u = q.hi;
    double rest = 2.0 * t.hi * (u * u) * (0.2 + u * (1.0 / 7 + u * (1.0 / 9 + u * (1.0 / 11))));
    dd a = two_sum(2.0 * t.hi, c3.hi);
    a.lo += (2.0 * t.lo + c3.lo) + rest;
    double lh = LOG_C_HI[i - LOG_MIN], ll = LOG_C_LO[i - LOG_MIN];
    dd s = two_sum(lh, a.hi);
    s.lo += ll + a.lo;
    return fast_two_sum(s.hi, s.lo);
}

/* log(1 + e) for e in [-1/2, 1]: rel < 2**-50.
 * t = v / (2c + v) with two roundings, 2**-52; the series
 * 2t (1 + u/3 + u**2/5 + u**3/7 + u**4/9) drops 2t u**5/11 < 2t 2**-73; the
 * table value rounded, 2**-53; the sums of same-signed terms, 2**-52. */
INLINE double log1p_d(double e) {
    int64_t i = table_index(e);
    double c = 1.0 + i * (1.0 / LOG_M);
    double v = e - i * (1.0 / LOG_M);
    double t = v / (2.0 * c + v), u = t * t;
    double a = 2.0 * t + 2.0 * t * u * (1.0 / 3 + u * (0.2 + u * (1.0 / 7 + u * (1.0 / 9))));
    return LOG_C_HI[i - LOG_MIN] + a;
}

/* v = 2**E M for v > 0 (normal), M in [3/4, 3/2), so that |log M| stays
 * below log 1.5; returns M and sets *e = E. */
INLINE double split_log(double v, int64_t *e) {
    double m = from_bits((bits_of(v) & ((INT64_C(1) << 52) - 1)) | (INT64_C(1023) << 52));
    int64_t big = !lt_pos(m, 1.5);
    *e = exponent_of(v) + big;
    return sel(big, 0.5 * m, m);
}

/* log(v) for v = vh + vl > 0, vh normal: rel < 2**-79 where |log v| > 0.287,
 * which holds whenever E != 0 (|E ln2| >= 0.693 against |log M| < 0.406);
 * E = 0 is log1p_dd itself.  E ln2 is exact to 2**-140 (E LN2_1 exact). */
INLINE dd log_dd(double vh, double vl) {
    int64_t e;
    double m = split_log(vh, &e);
    double f = pow2(-e);
    dd l = log1p_dd(m - 1.0, vl * f); /* m - 1 exact: m in [3/4, 3/2) */
    double ed = int_to_double(e);
    dd s = two_sum(ed * LN2_1, l.hi);
    s.lo += l.lo + ed * LN2_2 + ed * LN2_3;
    return fast_two_sum(s.hi, s.lo);
}

/* log(v) for v > 0 normal: rel < 2**-49.5 (log1p_d, and E ln2 in two parts). */
INLINE double log_d(double v) {
    int64_t e;
    double m = split_log(v, &e);
    double ed = int_to_double(e);
    return (ed * LN2_1 + log1p_d(m - 1.0)) + ed * LN2_2;
}

#endif
