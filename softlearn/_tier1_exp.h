/* softlearn/_tier1_exp.h: the exponential and log1p of the first tier, and
 * the functions built on them: softplus, its derivative (the sigmoid), tanh
 * and its derivative, for float32 results (in double lanes) and for float64
 * results (as hi + lo).
 *
 * Tables of 16 doubles (_tables.h: V_EXP, V_LOGC, V_LOGL and their _LO
 * parts) live in registers and are read by a permutation: no gather.  Every
 * bound is argued next to its code; a float32 result needs the approximation
 * to about 2**-40 for the rounding test to decide all but about one lane in
 * 2**15.
 */

/* For k = 16 m + j (0 <= j < 16), 2**m as an addend to an exponent field:
 * (k - j) 2**48 = m 2**52.  Adding it multiplies by 2**m exactly while the
 * result stays normal. */
INLINE vl t1_exp_field(vl k) {
    return vl_shl(vl_and(k, vl_set(~(int64_t)(V_N - 1))), 52 - V_LOG2_N);
}

/* i = round(16 (v - 1)) by the magic-number rounding, clamped at 15: the
 * index of c_i = V_LOGC[i] for v in [1, 2]. */
INLINE vl t1_log1p_index(vd v) {
    const vd shift = vd_set(0x1.8p52);
    vd id = vd_min(vd_fma(v, vd_set(V_N), vd_set(0x1.8p52 - V_N)), vd_set(0x1.8p52 + (V_N - 1)));
    return vl_sub(vd_bits(id), vd_bits(shift));
}

/* -1/2 + w/3 - w**2/4 + ... + w**7/9 by Horner with FMA: log1p(w) = w +
 * w**2 (this) to degree 9, for t1_log1p and t1_log. */
INLINE vd t1_log1p_poly(vd w) {
    vd p = vd_fma(vd_set(1.0 / 9), w, vd_set(-1.0 / 8));
    p = vd_fma(p, w, vd_set(1.0 / 7));
    p = vd_fma(p, w, vd_set(-1.0 / 6));
    p = vd_fma(p, w, vd_set(1.0 / 5));
    p = vd_fma(p, w, vd_set(-1.0 / 4));
    p = vd_fma(p, w, vd_set(1.0 / 3));
    return vd_fma(p, w, vd_set(-0.5));
}

/* 1/d to 2**-44: the estimate, one Newton step inside vd_recip, one more. */
INLINE vd t1_recip44(vd d) {
    vd r = vd_recip(d);
    return vd_fma(r, vd_fnma(d, r, vd_set(1)), r);
}

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
    return vd_from_bits(vl_add(vd_bits(e), t1_exp_field(ki)));
}

/* log1p(e) for e in [0, 1]: rel < 2**-44.
 * v = 1 + e rounded and vl = e - (v - 1), exact (Fast2Sum, 1 >= e), so
 * log1p(e) = log v + vl/v + O(vl**2) with |vl| <= 2**-53.
 * log v: i = min(15, round(16 (v - 1))), c = V_LOGC[i] (the double nearest
 * 1/(1 + i/16)) and w = v c - 1 rounded once (FMA): |w| <= 1/31 (the clamped
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
    vd one = vd_set(1);
    vd v = vd_add(one, e);
    vd low = vd_sub(e, vd_sub(v, one));
    vl i = t1_log1p_index(v);
    vd c = vtab16_get(cs, i);
    vd w = vd_fma(v, c, vd_set(-1));
    vd p = t1_log1p_poly(w);
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
 * for those only), below anything a float32 keeps next to x or alone.  The
 * terms add with the same sign; 1/beta is rounded (2**-53) and so is the sum.  rel < 2**-42.4 + 2**-45 (e) passed on
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
    return vd_mul(vd_sel(vd_ge(x, vd_set(0)), vd_set(1), e), t1_recip44(d));
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

/* --- float64 results: the same functions to about 2**-62, as hi + lo. */

typedef struct {
    vd hi, lo;
} vdd;

/* Fast2Sum: a + b exactly as hi + lo, for |a| >= |b| or a = 0. */
INLINE vdd t1_fast_two_sum(vd a, vd b) {
    vd s = vd_add(a, b);
    return (vdd){s, vd_sub(b, vd_sub(s, a))};
}

/* 2Sum: a + b exactly, in any order. */
INLINE vdd t1_two_sum(vd a, vd b) {
    vd s = vd_add(a, b);
    vd bb = vd_sub(s, a);
    return (vdd){s, vd_add(vd_sub(a, vd_sub(s, bb)), vd_sub(b, bb))};
}

/* e**-(z + zl) for 0 <= z <= 700 and |zl| <= 2**-53 z, as hi + lo: rel <
 * 2**-62.3.
 * k = round(-z 16/ln2) (|k| < 2**14), h = -z - k L1 exact (k L1 exact with
 * L1 of 39 bits, and within a factor 2 of z where k != 0: Sterbenz), rl =
 * -k L2 - zl rounded (|rl| < 2**-32.4, its error and L2's below 2**-85):
 * r = h + rl.  e**h = 1 + h + P, P = h**2 A(h), A = 1/2 + h/6 + ... + h**6/8!, whose
 * truncation drops h**9/9! < 2**-68.2; h**2 exact (two products), A to
 * 2**-53 (Horner, h < 0.022 shrinks the early roundings), P by one FMA:
 * |P| < 2**-12, to 2**-64 absolute.  1 + h = S_hi + S_lo exactly; t = S_lo +
 * P (2**-65); e**r = e**h (1 + rl + rl**2/2), the last term below 2**-66
 * dropped and rl e**h added to t by one FMA (2**-65).  Times 2**(j/16) =
 * T_hi + T_lo (2**-106): T_hi S_hi exactly, the small terms by two FMAs,
 * 2**-64, and T_lo t (2**-65) dropped; hi + lo then normalized (Fast2Sum,
 * exact), as the callers need |lo| <= 2**-52 |hi|.  Times 2**m, exact above
 * 2**-1000.
 * Sum: 2**-64 (2 + 2**-1 + 2**-1 + 2**-1 + 2**-2) < 2**-62.3. */
INLINE vdd t1_exp_neg_dd(vd z, vd zl, vtab16 th, vtab16 tl) {
    const vd shift = vd_set(0x1.8p52);
    vd kd = vd_fma(z, vd_set(-V_INV_LN2_N), shift);
    vd k = vd_sub(kd, shift);
    vd h = vd_fnma(k, vd_set(V_LN2_N_1), vd_sub(vd_set(0), z));
    vd rl = vd_fnma(k, vd_set(V_LN2_N_2), vd_sub(vd_set(0), zl));
    vd a = vd_fma(vd_set(1.0 / 40320), h, vd_set(1.0 / 5040));
    a = vd_fma(a, h, vd_set(1.0 / 720));
    a = vd_fma(a, h, vd_set(1.0 / 120));
    a = vd_fma(a, h, vd_set(1.0 / 24));
    a = vd_fma(a, h, vd_set(1.0 / 6));
    a = vd_fma(a, h, vd_set(0.5));
    vd sq = vd_mul(h, h);
    vd P = vd_fma(sq, a, vd_mul(vd_fms(h, h, sq), a));
    vdd S = t1_fast_two_sum(vd_set(1), h);
    vd t = vd_add(S.lo, P);
    t = vd_fma(rl, vd_add(S.hi, t), t);
    vl ki = vl_sub(vd_bits(kd), vd_bits(shift));
    vd Th = vtab16_get(th, ki), Tl = vtab16_get(tl, ki);
    vd hi = vd_mul(Th, S.hi);
    vdd p = t1_fast_two_sum(hi, vd_fma(Th, t, vd_fma(Tl, S.hi, vd_fms(Th, S.hi, hi))));
    vd lo = p.lo;
    hi = p.hi;
    /* 2**m: added to hi's exponent field, and as a factor for lo (which may be 0) */
    vl m52 = t1_exp_field(ki);
    vd scale = vd_from_bits(vl_add(vd_bits(vd_set(1)), m52));
    return (vdd){vd_from_bits(vl_add(vd_bits(hi), m52)), vd_mul(lo, scale)};
}

/* log1p(e) for e = e_hi + e_lo in [0, 1] (|e_lo| <= 2**-52 e_hi): rel <
 * 2**-62.3, as hi + lo.  Below e = 2**-25, a short series (at the end).
 * v = 1 + e_hi rounded, vl = e_hi - (v - 1) (exact) + e_lo: 1 + e = v + vl
 * to 2**-106.  i and c = V_LOGC[i] as in t1_log1p; (v + vl) c = 1 + w with
 * w = w_hi + w_lo: w_hi = v c - 1 from v c = P_hi + P_lo (exact product) and
 * P_hi - 1 exact (Sterbenz), w_lo = P_lo + vl c (2**-105); |w| < 1/31.
 * log1p(w) = log1p(w_hi) + w_lo/(1 + w_hi) + O(w_lo**2), and |w_lo| <
 * 2**-52 absolutely (not relative to w: v - 1 is a multiple of 2**-52), so
 * w_lo (1 - w_hi + w_hi**2), whose dropped term w_hi**3 w_lo is below
 * 2**-67 (2**-62 of w at the least, with |w| >= 2**-25 here; of log1p(e)
 * > 0.06 for i > 0).  log1p(w_hi) = w_hi - w_hi**2/2 + w_hi**3 R(w_hi),
 * R = 1/3 - w/4 + ... + w**10/13, whose truncation drops w**13/14 <
 * 2**-67.3 |w|; w_hi**2 = sq_hi + sq_lo exactly; w**3 R in double, 2**-51
 * of a term below w**3/3: 2**-63.4 |w|.  The lead w_hi - sq_hi/2 exactly
 * (Fast2Sum), the rest (sq_lo/2, the w_lo terms, w**3 R) summed in double,
 * below 2**-14.8: 2**-67.8.  Then -log c =
 * V_LOGL[i] + V_LOGL_LO[i] (2**-106, 0 for i = 0), added by Fast2Sum
 * (|V_LOGL| >= 0.06 > 1/31 > |w| for i > 0).  For i = 0 every error is
 * relative to w (log1p(e) = log1p(w)); for i > 0 the absolute ones, below
 * 2**-67.5, are relative to log1p(e) > 0.06.  So 2**-63.4 + 2**-67.3 +
 * 2**-63.4 (i > 0: 2**-67.5 / 0.06): < 2**-62.3. */
INLINE vdd t1_log1p_dd(vdd e, vtab16 cs, vtab16 lh, vtab16 ll) {
    vd one = vd_set(1);
    vd v = vd_add(one, e.hi);
    vd low = vd_add(vd_sub(e.hi, vd_sub(v, one)), e.lo);
    vl i = t1_log1p_index(v);
    vd c = vtab16_get(cs, i);
    vd Ph = vd_mul(v, c);
    vd wh = vd_sub(Ph, one);
    vd wl = vd_fma(low, c, vd_fms(v, c, Ph));
    vd R = vd_fma(vd_set(1.0 / 13), wh, vd_set(-1.0 / 12));
    R = vd_fma(R, wh, vd_set(1.0 / 11));
    R = vd_fma(R, wh, vd_set(-1.0 / 10));
    R = vd_fma(R, wh, vd_set(1.0 / 9));
    R = vd_fma(R, wh, vd_set(-1.0 / 8));
    R = vd_fma(R, wh, vd_set(1.0 / 7));
    R = vd_fma(R, wh, vd_set(-1.0 / 6));
    R = vd_fma(R, wh, vd_set(1.0 / 5));
    R = vd_fma(R, wh, vd_set(-1.0 / 4));
    R = vd_fma(R, wh, vd_set(1.0 / 3));
    vd sqh = vd_mul(wh, wh);
    vd sql = vd_fms(wh, wh, sqh);
    vd rest = vd_fma(vd_mul(sqh, wh), R, vd_fnma(sql, vd_set(0.5), vd_fma(wl, vd_sub(sqh, wh), wl)));
    vdd lead = t1_fast_two_sum(wh, vd_mul(sqh, vd_set(-0.5)));
    vdd s = t1_fast_two_sum(vtab16_get(lh, i), lead.hi);
    vd lo = vd_add(vd_add(s.lo, vtab16_get(ll, i)), vd_add(lead.lo, rest));
    /* e < 2**-25: e - e**2/2 + e**3/3 - e**4/4 (drops e**5/5 < 2**-100 e),
     * the correction in double (2**-79 e); here v - 1 would hold e only to
     * 2**-53 absolute, and e's low part would be lost. */
    vd corr = vd_mul(vd_mul(e.hi, e.hi), vd_fma(e.hi, vd_fma(e.hi, vd_set(-0.25), vd_set(1.0 / 3)), vd_set(-0.5)));
    md tiny = vd_lt(e.hi, vd_set(0x1p-25));
    return (vdd){vd_sel(tiny, e.hi, s.hi), vd_sel(tiny, vd_add(e.lo, corr), lo)};
}

/* The float64 rounding test: y = hi + lo with |error| <= |err|: decided
 * where hi + (lo -+ err) round alike, and then y is that rounding (err's
 * sign does not matter). */
INLINE t1d_decision t1_round64_err(vdd y, vd err) {
    vd lo = vd_add(y.hi, vd_sub(y.lo, err));
    vd hi = vd_add(y.hi, vd_add(y.lo, err));
    return (t1d_decision){lo, vd_ne(lo, hi)};
}

/* The same with |error| <= |hi| 2**-61: the callers' bounds, 2**-62 and
 * below, with the rounding of forming the ends in the slack. */
INLINE t1d_decision t1_round64(vdd y) { return t1_round64_err(y, vd_mul(y.hi, vd_set(0x1p-61))); }

/* l/beta as hi + lo, for l = hi + lo: q = l_hi/beta rounded (times 1/beta),
 * its residual l_hi - q beta exact (FMA), (residual + l_lo)/beta rounded on
 * a term below 2**-52 of q. */
INLINE vdd t1_div_beta(vdd l, double b) {
    vd ib = vd_set(1 / b);
    vd q = vd_mul(l.hi, ib);
    vd r = vd_fnma(q, vd_set(b), l.hi);
    return (vdd){q, vd_mul(vd_add(r, l.lo), ib)};
}

/* z = beta |x| as z + zl exactly (for beta in [2**-20, 2**20] the product
 * loses zl below the subnormal range only where it does not matter),
 * clamped at 700, zl then 0 (also where the product overflows): beyond it
 * x > 0 gives x itself (the tail, below 2**-1000/beta, is far below half an
 * ulp of x), and x < 0 a result below 2**-960, which the callers send to
 * the scalar paths with every other result so small, whose low part would
 * lose bits to the subnormal range. */
INLINE vdd t1_beta_abs(vd x, vd beta) {
    vd a = vd_abs(x);
    vd z = vd_mul(a, beta);
    md big = vd_gt(z, vd_set(700));
    return (vdd){vd_min(vd_set(700), z), vd_sel(big, vd_set(0), vd_fms(a, beta, z))}; /* NaN passes */
}

/* softplus(x, beta) = max(x, 0) + log1p(e)/beta as hi + lo, e = e**-z.
 * e to 2**-62.3, passed on by log1p with a factor at most 1; log1p's own
 * 2**-62.3; the division by beta as q + (residual + lo)/beta with the
 * residual exact (FMA) and 1/beta rounded on a term below 2**-52 of q:
 * 2**-104; x + tail by 2Sum, the low parts added: terms of one sign, the
 * bound kept.  rel < 2**-61.3 + 2**-100. */
INLINE vdd t1_softplus_dd(vd x, double b, vtab16 te, vtab16 tel, vtab16 tc, vtab16 tlh, vtab16 tll) {
    vdd z = t1_beta_abs(x, vd_set(b));
    vdd l = t1_log1p_dd(t1_exp_neg_dd(z.hi, z.lo, te, tel), tc, tlh, tll);
    if (b != 1.0) l = t1_div_beta(l, b);
    vdd s = t1_two_sum(x, l.hi);
    vdd pos = {s.hi, vd_add(s.lo, l.lo)};
    md p = vd_gt(x, vd_set(0));
    return (vdd){vd_sel(p, pos.hi, l.hi), vd_sel(p, pos.lo, l.lo)};
}

/* sigmoid(beta x) = n/(1 + e), n = 1 for x >= 0 and e below, e = e**-z: e to
 * 2**-62.3, passed on with factor 1/(1 + e) <= 1; 1 + e = d_hi + d_lo
 * (Fast2Sum, then e_lo: 2**-106); q = n_hi r with r = 1/d_hi to 2**-44 (the
 * estimate and two Newton steps), the residual n_hi - q d_hi to 2**-53 of
 * itself (below 2**-43 n), then n_lo - q d_lo, and the correction times r:
 * 2**-86.  rel < 2**-62.3 + 2**-85. */
INLINE vdd t1_sigmoid_dd(vd x, double b, vtab16 te, vtab16 tel) {
    vdd z = t1_beta_abs(x, vd_set(b));
    vdd e = t1_exp_neg_dd(z.hi, z.lo, te, tel);
    vdd d = t1_fast_two_sum(vd_set(1), e.hi);
    d.lo = vd_add(d.lo, e.lo);
    vd r = t1_recip44(d.hi);
    md pos = vd_ge(x, vd_set(0));
    vd nh = vd_sel(pos, vd_set(1), e.hi), nl = vd_sel(pos, vd_set(0), e.lo);
    vd q = vd_mul(nh, r);
    vd res = vd_fnma(q, d.lo, vd_add(vd_fnma(q, d.hi, nh), nl));
    return (vdd){q, vd_mul(res, r)};
}

INLINE t1d_decision t1d_softplus(vd x, double b) {
    vtab16 te = vtab16_load(V_EXP), tel = vtab16_load(V_EXP_LO), tc = vtab16_load(V_LOGC);
    vtab16 tlh = vtab16_load(V_LOGL), tll = vtab16_load(V_LOGL_LO);
    t1d_decision d = t1_round64(t1_softplus_dd(x, b, te, tel, tc, tlh, tll));
    /* +inf: itself (the sum's low part is NaN); -inf, like any x far below 0,
     * gives a result below 2**-960: the scalar paths */
    d.y = vd_sel(vd_eq(x, vd_set(INFINITY)), x, d.y);
    d.bad = md_or(d.bad, vd_lt(d.y, vd_set(0x1p-960)));
    return d;
}

INLINE t1d_decision t1d_sigmoid(vd x, double b) {
    vtab16 te = vtab16_load(V_EXP), tel = vtab16_load(V_EXP_LO);
    t1d_decision d = t1_round64(t1_sigmoid_dd(x, b, te, tel));
    d.bad = md_or(d.bad, vd_lt(d.y, vd_set(0x1p-960)));
    return d;
}

/* --- tanh and its derivative */

/* T(u) with u = a**2, so that tanh(a) = a + a**3 T(u) for small a: T's
 * coefficients are tanh's Taylor coefficients of a**3 ... a**15, rounded to
 * double. */
INLINE vd t1_tanh_series(vd u) {
    vd T = vd_fma(vd_set(-0.0014558343870513182682), u, vd_set(0.0035921280365724810169));
    T = vd_fma(T, u, vd_set(-0.0088632355299021965689));
    T = vd_fma(T, u, vd_set(0.021869488536155202822));
    T = vd_fma(T, u, vd_set(-0.053968253968253968254));
    T = vd_fma(T, u, vd_set(0.13333333333333333333));
    return vd_fma(T, u, vd_set(-1.0 / 3));
}

/* tanh for float32 results, a = |x|:
 *   a >= 1/4: (1 - e)/(1 + e), e = e**-2a to 2**-42.4, amplified by
 *     2e/(1 - e**2) <= 1.93 (at a = 1/4); 1 - e and 1 + e rounded (2**-53),
 *     1/(1 + e) to 2**-44, the product (2**-53): rel < 2**-41.3;
 *   a < 1/4: the series to a**15, which drops the a**17 term (2**-42.7 of a);
 *     a**3 T with 2**-51 of itself, below 2**-55 of a; the sum (2**-53):
 *     rel < 2**-42.5.
 * The sign of x put back last (tanh is odd); 2a clamped at 200 (tanh is 1
 * to far more than float32 keeps); NaN passes through. */
INLINE vd t1_tanh_half(vd x, vtab16 te) {
    vd a = vd_abs(x);
    vd e = t1_exp_neg(vd_min(vd_set(200), vd_add(a, a)), te);
    vd big = vd_mul(vd_sub(vd_set(1), e), t1_recip44(vd_add(vd_set(1), e)));
    vd u = vd_mul(a, a);
    vd small = vd_fma(vd_mul(a, u), t1_tanh_series(u), a);
    return vd_copysign(vd_sel(vd_lt(a, vd_set(0.25)), small, big), x);
}

/* tanh'(x) = 4e/(1 + e)**2, e = e**-2|x| to 2**-42.4, passed on with factor
 * (1 - e)/(1 + e) <= 1; 1 + e, its square and 4e (exact) times 1/(1 + e)**2
 * to 2**-44: rel < 2**-42.2. */
INLINE vd t1_tanh_grad_half(vd x, vtab16 te) {
    vd a = vd_abs(x);
    vd e = t1_exp_neg(vd_min(vd_set(200), vd_add(a, a)), te);
    vd d = vd_add(vd_set(1), e);
    return vd_mul(vd_mul(e, vd_set(4)), t1_recip44(vd_mul(d, d)));
}

INLINE t1f_decision t1f_tanh(vf x, double b) {
    (void)b;
    vtab16 te = vtab16_load(V_EXP);
    return t1_round32(t1_tanh_half(vd_lo(x), te), t1_tanh_half(vd_hi(x), te));
}

INLINE t1f_decision t1f_tanh_grad(vf x, double b) {
    (void)b;
    vtab16 te = vtab16_load(V_EXP);
    return t1_round32(t1_tanh_grad_half(vd_lo(x), te), t1_tanh_grad_half(vd_hi(x), te));
}

/* n/d for double-doubles, |n_lo| <= 2**-52 |n_hi| and the same for d, as
 * q + (residual)/d: q = n_hi r, r = 1/d_hi to 2**-44; the residual
 * n_hi - q d_hi by one FMA (2**-53 of itself, itself below 2**-43 n) plus
 * n_lo - q d_lo; the correction times r (2**-44 of a term below 2**-43 q):
 * rel < 2**-86. */
INLINE vdd t1_div_dd(vdd n, vdd d) {
    vd r = t1_recip44(d.hi);
    vd q = vd_mul(n.hi, r);
    vd res = vd_fnma(q, d.lo, vd_add(vd_fnma(q, d.hi, n.hi), n.lo));
    return (vdd){q, vd_mul(res, r)};
}

/* tanh for float64 results, a = |x|, as hi + lo:
 *   a >= 1/32: (1 - e)/(1 + e) with e = e**-2a to 2**-62.3 (exp_dd; 2a
 *     exact), 1 - e and 1 + e exactly as double-doubles (Fast2Sum, then
 *     e_lo: 2**-106), the quotient to 2**-86: the error is e's, amplified
 *     by 2e/(1 - e**2) = 2e / D**2 / (N/D): err = 2**-61.5 (|q| + 2 e r**2)
 *     per lane (r = 1/D), below 2**-58 at a = 1/32;
 *   a < 1/32: a + c, c = a**3 T(a**2) to 2**-51 of itself (a**2 below 2**-10:
 *     2**-62.6 of a), the series dropping a**15 terms (2**-70 of a), the sum
 *     exact as hi + lo (Fast2Sum): err = 2**-61.5 |a|.
 * 2a clamped at 100: tanh is 1 - 2e**-2a to far more than float64 keeps.
 * The sign put back last. */
INLINE t1d_decision t1d_tanh(vd x, double b) {
    (void)b;
    vtab16 te = vtab16_load(V_EXP), tel = vtab16_load(V_EXP_LO);
    vd a = vd_abs(x);
    vdd e = t1_exp_neg_dd(vd_min(vd_set(100), vd_add(a, a)), vd_set(0), te, tel);
    vdd N = t1_fast_two_sum(vd_set(1), vd_sub(vd_set(0), e.hi));
    N.lo = vd_sub(N.lo, e.lo);
    vdd D = t1_fast_two_sum(vd_set(1), e.hi);
    D.lo = vd_add(D.lo, e.lo);
    vdd q = t1_div_dd(N, D);
    vd r = t1_recip44(D.hi);
    vd err_big = vd_mul(vd_fma(vd_mul(vd_add(e.hi, e.hi), r), r, q.hi), vd_set(0x1.6a09e667f3bcdp-62));
    vd u = vd_mul(a, a);
    vd c = vd_mul(vd_mul(a, u), t1_tanh_series(u));
    vdd s = t1_fast_two_sum(a, c);
    md small = vd_lt(a, vd_set(0x1p-5));
    vdd y = {vd_sel(small, s.hi, q.hi), vd_sel(small, s.lo, q.lo)};
    t1d_decision d = t1_round64_err(y, vd_sel(small, vd_mul(a, vd_set(0x1.6a09e667f3bcdp-62)), err_big));
    d.y = vd_copysign(d.y, x);
    return d;
}

/* tanh'(x) = 4e/(1 + e)**2 for float64 results: e to 2**-62.3 (factor
 * (1 - e)/(1 + e) <= 1); D = 1 + e exactly, D**2 = P + Pl with the cross
 * term 2 D_hi D_lo and D_lo**2 (below 2**-104) dropped: 2**-104; 4e/D**2 to
 * 2**-86.  rel < 2**-62.2.  Results below 2**-960: the scalar paths. */
INLINE t1d_decision t1d_tanh_grad(vd x, double b) {
    (void)b;
    vtab16 te = vtab16_load(V_EXP), tel = vtab16_load(V_EXP_LO);
    vd a = vd_abs(x);
    vdd e = t1_exp_neg_dd(vd_min(vd_set(700), vd_add(a, a)), vd_set(0), te, tel);
    vdd D = t1_fast_two_sum(vd_set(1), e.hi);
    D.lo = vd_add(D.lo, e.lo);
    vd P = vd_mul(D.hi, D.hi);
    vd Pl = vd_fma(vd_add(D.hi, D.hi), D.lo, vd_fms(D.hi, D.hi, P));
    vdd q = t1_div_dd((vdd){vd_mul(e.hi, vd_set(4)), vd_mul(e.lo, vd_set(4))}, (vdd){P, Pl});
    t1d_decision d = t1_round64(q);
    d.bad = md_or(d.bad, vd_lt(d.y, vd_set(0x1p-960)));
    return d;
}
