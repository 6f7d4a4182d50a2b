/* softlearn/_tier1_exp.h: the exponential and log1p of the first tier, in
 * double lanes, for float32 results of softplus and its derivative.
 *
 * Tables of 16 doubles (_tables.h: V_EXP, V_LOGC, V_LOGL) live in registers
 * and are read by a permutation: no gather.  Every bound is relative and
 * argued next to its code; a float32 result needs the approximation to about
 * 2**-40 for the rounding test to decide all but about one lane in 2**15.
 */

/* e**-z for 0 <= z <= 200: rel < 2**-42.4.
 * k = round(-z 16/ln2) <= 0 (the magic-number rounding), r = -z - k ln2/16
 * by one FMA with ln2/16 rounded to double (|k| < 4700: |k| 2**-58 < 2**-45.8
 * absolute in r), |r| <= ln2/32 (1 + 2**-40).  e**r by its Taylor polynomial
 * of degree 5, which drops r**6/720 e**|r| < 2**-42.6; Horner with FMA, five
 * roundings of 2**-53 on values within 2.2% of 1.  k = 16 m + j, 0 <= j < 16:
 * 2**(j/16) from V_EXP (2**-53), one product (2**-53), and 2**m added to the
 * exponent field, exact while the result stays above 2**-1000 (here 2**-290).
 * Sum: < 2**-42.4. */
INLINE vd t1_exp_neg(vd z, vtab16 tab) {
    const vd shift = vd_set(0x1.8p52);
    vd kd = vd_fma(z, vd_set(-V_INV_LN2_N), shift);
    vd k = vd_sub(kd, shift);
    vd r = vd_fnma(k, vd_set(V_LN2_N), vd_sub(vd_set(0), z));
    vd p = vd_fma(vd_set(1.0 / 120), r, vd_set(1.0 / 24));
    p = vd_fma(p, r, vd_set(1.0 / 6));
    p = vd_fma(p, r, vd_set(0.5));
    p = vd_fma(p, r, vd_set(1));
    p = vd_fma(p, r, vd_set(1));
    vl ki = vl_sub(vd_bits(kd), vd_bits(shift)); /* k, two's complement */
    vd e = vd_mul(vtab16_get(tab, ki), p);    /* the table reads the low 4 bits: j */
    return vd_from_bits(vl_add(vd_bits(e), vl_shl(vl_and(ki, vl_set(~(int64_t)15)), 48)));
}

/* log1p(e) for e in [0, 1]: rel < 2**-44.
 * v = 1 + e rounded and vl = e - (v - 1), exact (Fast2Sum, 1 >= e), so
 * log1p(e) = log v + vl/v + O(vl**2) with |vl| <= 2**-53.
 * log v: i = min(15, round(16 (v - 1))), c = V_LOGC[i] (the double nearest
 * 1/(1 + i/16)) and w = v c - 1 rounded once (FMA): |w| < 1/31 (the clamped
 * index, above 1 + 15.5/16, gives w up to 1/31).  Then log v = V_LOGL[i] +
 * log1p(w) with V_LOGL[i] = -log c to 2**-53 (for i = 0, c = 1 and 0
 * exactly).  log1p(w) = w - w**2/2 + ... to degree 9 drops |w|**10/10 <
 * 2**-47.9 |w|; the w**2 (...) part, below |w|/60, is evaluated with
 * 2**-50 and added to w, and vl/v is vl c (1 + O(w)), an absolute 2**-58.
 *   i = 0: log1p(e) = w + vl + (w**2 part), w = v - 1 exactly and w + vl = e:
 *     every term relative to e.
 *   i > 0: log1p(e) > log(1 + 1/32) > 0.03, so the table's 2**-54 and the
 *     absolute terms are below 2**-49 of it; V_LOGL[i] and log1p(w) are
 *     within a factor 2 of the sum or smaller.
 * Sum: < 2**-44. */
INLINE vd t1_log1p(vd e, vtab16 cs, vtab16 ls) {
    const vd shift = vd_set(0x1.8p52);
    vd one = vd_set(1);
    vd v = vd_add(one, e);
    vd low = vd_sub(e, vd_sub(v, one));
    vd id = vd_min(vd_fma(v, vd_set(V_N), vd_set(0x1.8p52 - V_N)), vd_set(0x1.8p52 + 15));
    vl i = vl_sub(vd_bits(id), vd_bits(shift));
    vd c = vtab16_get(cs, i);
    vd w = vd_fma(v, c, vd_set(-1));
    vd p = vd_fma(vd_set(1.0 / 9), w, vd_set(-1.0 / 8));
    p = vd_fma(p, w, vd_set(1.0 / 7));
    p = vd_fma(p, w, vd_set(-1.0 / 6));
    p = vd_fma(p, w, vd_set(1.0 / 5));
    p = vd_fma(p, w, vd_set(-1.0 / 4));
    p = vd_fma(p, w, vd_set(1.0 / 3));
    p = vd_fma(p, w, vd_set(-0.5));
    vd tail = vd_fma(vd_mul(p, w), w, vd_mul(low, c)); /* w**2 (-1/2 + w/3 ...) + vl c */
    return vd_add(vtab16_get(ls, i), vd_add(w, tail));
}

/* The rounding test on the two halves of a float register: y (double) with
 * relative error below 2**-41 (callers' bounds 2**-42 and below, plus the
 * 2**-53 of forming the ends): decided where y (1 -+ 2**-40), rounded to
 * float32, agree.  NaN and infinities: decided, themselves. */
INLINE t1f_decision t1_round32(vd y_lo, vd y_hi) {
    vd down = vd_set(1 - 0x1p-40), up = vd_set(1 + 0x1p-40); /* products: inf stays inf */
    vf lo = vf_join(vd_mul(y_lo, down), vd_mul(y_hi, down));
    vf hi = vf_join(vd_mul(y_lo, up), vd_mul(y_hi, up));
    return (t1f_decision){lo, vf_ne(lo, hi)};
}

/* softplus(x, beta) = max(x, 0) + log1p(e**-z)/beta, z = beta |x| (rounded:
 * an error of z 2**-53 <= 2**-45 in the exponent), clamped at 200 where
 * e**-z/beta < 2**-268 for beta in [2**-20, 2**20] (the loops use this tier
 * for those only), below anything a float32 keeps next to x or alone.  The terms add with the same sign; 1/beta is
 * rounded (2**-53) and so is the sum.  rel < 2**-42.4 + 2**-45 (e) passed on
 * at most once by log1p (e/((1 + e) log1p e) <= 1), + 2**-44 + 3 2**-53:
 * < 2**-41.9. */
INLINE vd t1_softplus_half(vd x, vd beta, vd inv_beta, vtab16 te, vtab16 tc, vtab16 tl) {
    vd z = vd_min(vd_set(200), vd_mul(vd_abs(x), beta)); /* NaN passes */
    vd l = t1_log1p(t1_exp_neg(z, te), tc, tl);
    return vd_fma(l, inv_beta, vd_max(vd_set(0), x));
}

/* sigmoid(beta x) = 1/(1 + e) for x >= 0, e/(1 + e) below, e = e**-z:
 * e to 2**-42.4 + 2**-45 (as above), passed on with the factor
 * 1/(1 + e) <= 1 (e/(1 + e) too has relative sensitivity 1/(1 + e) to e);
 * 1 + e rounded (2**-53), 1/(1 + e) by the reciprocal estimate and two
 * Newton steps (2**-45.6 with AVX2's 12-bit estimate), the product
 * (2**-53): rel < 2**-42. */
INLINE vd t1_sigmoid_half(vd x, vd beta, vtab16 te) {
    vd z = vd_min(vd_set(200), vd_mul(vd_abs(x), beta)); /* NaN passes */
    vd e = t1_exp_neg(z, te);
    vd d = vd_add(vd_set(1), e);
    vd r = vd_recip(d);
    r = vd_fma(r, vd_fnma(d, r, vd_set(1)), r);
    return vd_mul(vd_sel(vd_ge(x, vd_set(0)), vd_set(1), e), r);
}

/* The float32 functions: each half of the register in double, then the test. */
INLINE t1f_decision t1f_softplus(vf x, double b) {
    vtab16 te = vtab16_load(V_EXP), tc = vtab16_load(V_LOGC), tl = vtab16_load(V_LOGL);
    vd beta = vd_set(b), inv = vd_set(1 / b);
    return t1_round32(t1_softplus_half(vd_lo(x), beta, inv, te, tc, tl),
                      t1_softplus_half(vd_hi(x), beta, inv, te, tc, tl));
}

INLINE t1f_decision t1f_sigmoid(vf x, double b) {
    vtab16 te = vtab16_load(V_EXP);
    vd beta = vd_set(b);
    return t1_round32(t1_sigmoid_half(vd_lo(x), beta, te), t1_sigmoid_half(vd_hi(x), beta, te));
}
