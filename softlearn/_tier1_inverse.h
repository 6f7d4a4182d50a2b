/* softlearn/_tier1_inverse.h: the first tier of softplus_inverse, with the
 * expm1 and the logarithm of any positive double it needs.
 *
 * softplus_inverse(y) = log(e**z - 1)/beta, z = beta y, in three regions
 * that share one e**u - 1 and one logarithm per lane (so a register mixing
 * them costs one of each):
 *   high, z >= 1:        y + log(1 - e**-z)/beta,  u = -z
 *   mid, 0.45 <= z < 1:  log(1 + 2 expm1(d))/beta, u = d = z - ln2, which
 *                        keeps the relative error near the zero z = ln2
 *   low, z < 0.45:       log(expm1(z))/beta,       u = z
 * (e**z - 1 = 2 e**d - 1 = 1 + 2 expm1(d).)  Every bound is argued next to
 * its code, as in _tier1_exp.h.
 */

/* The logarithm's reduction, shared by both precisions: v = 2**E m with m in
 * [31/32, 31/16), so that i = round(16 (m - 1)) lies in 0..15 (at m = 31/32,
 * 16 (m - 1) = -1/2 rounds to even, 0) and |m/(1 + i/16) - 1| <= 1/32; near
 * v = 1, on both sides, E = 0 and i = 0.  E from the bits of v over those of
 * 31/32, m and 2**-E by subtracting E from exponent fields (exact for v
 * above 2**-1000), E as a double by the magic-number conversion. */
typedef struct {
    vd m, scale, e; /* m, 2**-E, E */
    vl i;
} t1_log_parts;

INLINE t1_log_parts t1_log_reduce(vd v) {
    const vd shift = vd_set(0x1.8p52);
    vl E = vl_sra(vl_sub(vd_bits(v), vd_bits(vd_set(0.96875))), 52);
    vl E52 = vl_shl(E, 52);
    vd m = vd_from_bits(vl_sub(vd_bits(v), E52));
    vd id = vd_fma(m, vd_set(V_N), vd_set(0x1.8p52 - V_N));
    return (t1_log_parts){m, vd_from_bits(vl_sub(vd_bits(vd_set(1)), E52)),
                          vd_sub(vd_from_bits(vl_add(vd_bits(shift), E)), shift),
                          vl_sub(vd_bits(id), vd_bits(shift))};
}

/* --- float32 results, in double lanes */

/* e**u - 1 for -200 <= u <= 0.45: k = round(16 u/ln2), r = u - k ln2/16 (one
 * FMA; ln2/16 rounded to double, |k| 2**-57.5 absolute in r), |r| <= ln2/32
 * (1 + 2**-40).  q = e**r - 1 = r + r**2 (1/2 + ... + r**5/5040): drops
 * r**8/8! < 2**-51.7 |r|.  T = 2**(k/16) from V_EXP (2**-53) with 2**m in its
 * exponent; e**u - 1 = (T - 1) + T q by one FMA, T - 1 exact for m >= -1
 * (Sterbenz).
 *   k = 0: T = 1, the result is q: rel < 2**-51.
 *   0 < |k| <= 11 (|u| <= 0.45): |result| >= 0.0214, the absolute errors
 *     (T's 2**-53 T, q's 2**-51.7 |r| T, the rounding) below 2**-51.4 T
 *     with T < 1.6: rel < 2**-45.2.
 *   u <= -1 (m <= -2): T - 1 rounded (2**-54 absolute): the result, in
 *     [-1, -0.63], to 2**-51.5 absolute (the caller needs no more).
 * |k| < 4700: the k 2**-57.5 of r is below 2**-45 of e**u, and below 2**-54
 *   of it for |k| <= 11. */
INLINE vd t1_expm1(vd u, vtab16 te) {
    const vd shift = vd_set(0x1.8p52);
    vd kd = vd_fma(u, vd_set(V_INV_LN2_N), shift);
    vd k = vd_sub(kd, shift);
    vd r = vd_fnma(k, vd_set(V_LN2_N), u);
    vd p = vd_fma(vd_set(1.0 / 5040), r, vd_set(1.0 / 720));
    p = vd_fma(p, r, vd_set(1.0 / 120));
    p = vd_fma(p, r, vd_set(1.0 / 24));
    p = vd_fma(p, r, vd_set(1.0 / 6));
    p = vd_fma(p, r, vd_set(0.5));
    vd q = vd_fma(vd_mul(r, r), p, r);
    vl ki = vl_sub(vd_bits(kd), vd_bits(shift));
    vd T = vd_from_bits(vl_add(vd_bits(vtab16_get(te, ki)), t1_exp_field(ki)));
    return vd_fma(T, q, vd_sub(T, vd_set(1)));
}

/* log(v + v_lo) for v >= 2**-1000 and |v_lo| <= 2**-52 v: t1_log_reduce,
 * then c = V_LOGC[i] and w = m c - 1 + v_lo 2**-E c (one FMA and a product
 * added: |w| <= 1/32 (1 + 2**-50)); log v = E ln2 + V_LOGL[i] + log1p(w)
 * with log1p(w) = w + w**2 (-1/2 + ... + w**7/9) as in t1_log1p, which
 * drops w**10/10 < 2**-47.9 |w|.  E ln2 + V_LOGL[i] by one FMA (exact
 * product of E and the 39-bit LN2_1, then one rounding of the sum), the
 * rest of ln2 times E added with log1p(w).
 *   E = 0, i = 0 (v within 1/32 of 1): c = 1, w = v - 1 exactly, and every
 *     error is relative to w: < 2**-47.5.
 *   otherwise |log v| >= log(32/31) > 0.0317 and the absolute errors (the
 *     table's 2**-54, roundings of 2**-53 on terms below |E| ln2 + 0.67)
 *     are below 2**-51.5 (1 + |E|): rel < 2**-46.5. */
INLINE vd t1_log(vd v, vd v_lo, vtab16 cs, vtab16 ls) {
    t1_log_parts p = t1_log_reduce(v);
    vd c = vtab16_get(cs, p.i);
    vd w = vd_fma(vd_mul(v_lo, p.scale), c, vd_fma(p.m, c, vd_set(-1)));
    vd s = t1_log1p_poly(w);
    vd lead = vd_fma(p.e, vd_set(LN2_1), vtab16_get(ls, p.i));
    return vd_add(lead, vd_fma(p.e, vd_set(LN2_2), vd_fma(vd_mul(s, w), w, w)));
}

/* softplus_inverse for a half register of float32 inputs y > 0 (others:
 * the scalar paths), z = beta y rounded, its residual zl exact (FMA).
 *   high: u = -min(z, 200) (z's rounding, 2**-53 z, moves e**-z by at most
 *     2**-45.4 of itself; beyond 200, e**-z < 2**-288 of y); v = -(e**u -
 *     1) in [0.63, 1) to 2**-51.5 absolute; log v to 2**-51.4 absolute (1/v
 *     <= 1.6, and the log's own 2**-46.5 of |log v| <= 0.46); the sum
 *     y + log/beta, with |y| >= 0.54 |result| (z >= 1): rel < 2**-49.
 *   mid: d = (z - LN2_1) + (zl - LN2_2), z - LN2_1 exact (Sterbenz), the
 *     rest to 2**-105 absolute, the sum rounded: rel 2**-52.9 for |d| >=
 *     2**-30 (closer lanes go to the scalar paths); expm1(d) to 2**-45.2,
 *     1 + 2 expm1(d) as v + v_lo exactly, passed on with a factor at most
 *     1.35 (the derivative of log(1 + 2e) times e/log(1 + 2e) over e in
 *     [-0.22, 0.36]); the log's 2**-46.5: rel < 2**-44.
 *   low: z rounded only if beta != 1 (2**-53 relative in z, 2**-52
 *     absolute in log(expm1 z)); expm1(z) to 2**-45.2 relative, an absolute
 *     error in its log, |log| >= 0.56: rel < 2**-44.
 * Then times 1/beta (2**-53, and 1/beta's 2**-53): rel < 2**-43.8. */
INLINE vd t1_softplus_inverse_half(vd y, vd beta, vd inv_beta, vtab16 te, vtab16 tc, vtab16 tl, md *bad) {
    vd z = vd_mul(y, beta);
    if (md_all(vd_ge(z, vd_set(1)))) { /* the common case, cheaper */
        vd l = t1_log(vd_sub(vd_set(0), t1_expm1(vd_sub(vd_set(0), vd_min(z, vd_set(200))), te)), vd_set(0), tc, tl);
        *bad = vd_eq(y, vd_set(INFINITY));
        return vd_fma(l, inv_beta, y);
    }
    vd zl = vd_fms(y, beta, z);
    md high = vd_ge(z, vd_set(1)), low = vd_lt(z, vd_set(0.45));
    vd d = vd_add(vd_sub(z, vd_set(LN2_1)), vd_sub(zl, vd_set(LN2_2)));
    vd u = vd_sel(high, vd_sub(vd_set(0), vd_min(z, vd_set(200))), vd_sel(low, z, d));
    vd e = t1_expm1(u, te);
    vd two = vd_add(e, e);
    vd v_mid = vd_add(vd_set(1), two);
    vd v = vd_sel(high, vd_sub(vd_set(0), e), vd_sel(low, e, v_mid));
    vd v_lo = vd_sel(md_or(high, low), vd_set(0), vd_sub(two, vd_sub(v_mid, vd_set(1))));
    vd l = t1_log(v, v_lo, tc, tl);
    md mid_close = md_andnot(md_or(high, low), vd_lt(vd_abs(d), vd_set(0x1p-30)));
    *bad = md_or(mid_close, md_or(vd_ngt(y, vd_set(0)), vd_eq(y, vd_set(INFINITY))));
    return vd_sel(high, vd_fma(l, inv_beta, y), vd_mul(l, inv_beta));
}

INLINE t1f_decision t1f_softplus_inverse(vf y, double b) {
    vtab16 te = vtab16_load(V_EXP), tc = vtab16_load(V_LOGC), tl = vtab16_load(V_LOGL);
    vd beta = vd_set(b), inv = vd_set(1 / b);
    md bad_lo, bad_hi;
    vd lo = t1_softplus_inverse_half(vd_lo(y), beta, inv, te, tc, tl, &bad_lo);
    vd hi = t1_softplus_inverse_half(vd_hi(y), beta, inv, te, tc, tl, &bad_hi);
    t1f_decision d = t1_round32(lo, hi);
    d.bad = mf_or(d.bad, mf_join(bad_lo, bad_hi));
    return d;
}

/* --- float64 results, as hi + lo */

/* e**(u + ul) - 1 for -200 <= u <= 0.45, |ul| <= 2**-52 |u|, as hi + lo
 * normalized (|lo| <= 2**-52 |hi|).
 * k, h = u - k L1 and rl = ul - k L2 as in t1_exp_neg_dd (h exact; for
 * |k| <= 11, |rl| < 2**-42.9 and the rl**2/2 dropped below 2**-86; for
 * larger |k|, below 2**-69.4).  e**h - 1 = h + h**2/2 + P with P = h**3/6 +
 * h**4 B(h), B to h**5/9!, which drops h**10/10! < 2**-71.5 |h|; h**2 =
 * sq + sql exactly, and P gathers sql/2 (|P| < 2**-19.1, to 2**-70.6
 * absolute).  e**(h + rl) - 1 = h + sq/2 + q, q = P + rl (1 + h + P) (2**-72
 * more).  T = 2**m (Th + Tl) from V_EXP and V_EXP_LO (2**-106):
 *   e**u - 1 = (T - 1) + T h + T sq/2 + T q,
 * the first three as exact double-doubles (Fast2Sum of -1 and Th 2**m, and
 * two products), added by Fast2Sum (|Th 2**m - 1| >= 0.042 > |T h| for
 * k != 0; 0 for k = 0; and T sq/2 below both), the small terms in one
 * double: its roundings below 2**-53 |T q| (2**-71.4) and 2**-106.  Tl
 * multiplies e**h whole: Tl sq/2 alone is 2**-65 of a result near 0.02.
 *   k = 0: T = 1, every error relative to h: rel < 2**-65.
 *   0 < |k| <= 11: |result| >= 0.0214, absolute errors below 2**-69 (T <
 *     1.6): rel < 2**-63.4.
 *   u <= -1: the result in [-1, -0.63], absolute errors below 2**-69 T
 *     (T <= e**-1) and the rounding of lo, 2**-106. */
INLINE vdd t1_expm1_dd(vd u, vd ul, vtab16 th, vtab16 tl) {
    const vd shift = vd_set(0x1.8p52);
    vd kd = vd_fma(u, vd_set(V_INV_LN2_N), shift);
    vd k = vd_sub(kd, shift);
    vd h = vd_fnma(k, vd_set(V_LN2_N_1), u);
    vd rl = vd_fnma(k, vd_set(V_LN2_N_2), ul);
    vd B = vd_fma(vd_set(1.0 / 362880), h, vd_set(1.0 / 40320));
    B = vd_fma(B, h, vd_set(1.0 / 5040));
    B = vd_fma(B, h, vd_set(1.0 / 720));
    B = vd_fma(B, h, vd_set(1.0 / 120));
    B = vd_fma(B, h, vd_set(1.0 / 24));
    vd sq = vd_mul(h, h);
    vd sql = vd_fms(h, h, sq);
    vd half_sq = vd_mul(sq, vd_set(0.5));
    vd P = vd_fma(vd_mul(sq, h), vd_fma(h, B, vd_set(1.0 / 6)), vd_mul(sql, vd_set(0.5)));
    vd eh = vd_add(vd_add(vd_set(1), h), vd_add(half_sq, P)); /* e**h to 2**-52 */
    vd q = vd_fma(rl, eh, P);
    vl ki = vl_sub(vd_bits(kd), vd_bits(shift));
    vl m52 = t1_exp_field(ki);
    vd Th = vd_from_bits(vl_add(vd_bits(vtab16_get(th, ki)), m52));
    vd Tl = vd_mul(vtab16_get(tl, ki), vd_from_bits(vl_add(vd_bits(vd_set(1)), m52)));
    vdd A = t1_fast_two_sum(vd_set(-1), Th);
    vd Bh = vd_mul(Th, h), Bl = vd_fms(Th, h, Bh);
    vd Ch = vd_mul(Th, half_sq), Cl = vd_fms(Th, half_sq, Ch);
    vdd s1 = t1_fast_two_sum(A.hi, Bh);
    vdd s2 = t1_fast_two_sum(s1.hi, Ch);
    vd small = vd_add(vd_add(s1.lo, s2.lo), vd_add(vd_add(A.lo, Bl), vd_fma(Tl, eh, Cl)));
    return t1_fast_two_sum(s2.hi, vd_fma(Th, q, small));
}

/* log(v + v_lo) for v >= 2**-1000 and |v_lo| <= 2**-52 v, as hi + lo:
 * t1_log_reduce, then w = (m + v_lo 2**-E) c - 1 with c = V_LOGC[i]: m c =
 * Ph + Pl exactly, Ph - 1 exact (Sterbenz), Pl + v_lo 2**-E c rounded
 * (2**-105 absolute), normalized by 2Sum into t + tl, |t| <= 1/32 (1 +
 * 2**-50).  log1p(t + tl) as in t1_log1p_dd (w_hi, w_lo there): t - t**2/2
 * + t**3 R(t) + tl (1 - t + t**2), to 2**-63 |t|.  E ln2 + V_LOGL[i] =
 * E LN2_1 (exact) + V_LOGL[i] by Fast2Sum (E = 0, or |E| ln2 > 0.67 >
 * V_LOGL[i]), and that plus the leading t - t**2/2 by Fast2Sum again (its
 * magnitude is 0 or above 0.0317, and |t| <= 1/(32 (1 + i/16)) is smaller);
 * the low parts, E LN2_2, V_LOGL_LO[i] and the rest in one double (2**-106).
 *   E = 0, i = 0: every error relative to t: rel < 2**-62.8.
 *   otherwise |log v| > 0.0317 and the absolute errors (2**-67.3 from
 *     log1p, 2**-103 |E| from the dropped LN2_3, 2**-106 from the tables
 *     and sums) are below 2**-67.2: rel < 2**-62.2. */
INLINE vdd t1_log_dd(vd v, vd v_lo, vtab16 cs, vtab16 lh, vtab16 ll) {
    t1_log_parts p = t1_log_reduce(v);
    vd c = vtab16_get(cs, p.i);
    vd Ph = vd_mul(p.m, c);
    vdd t = t1_two_sum(vd_sub(Ph, vd_set(1)), vd_fma(vd_mul(v_lo, p.scale), c, vd_fms(p.m, c, Ph)));
    vd R = vd_fma(vd_set(1.0 / 13), t.hi, vd_set(-1.0 / 12));
    R = vd_fma(R, t.hi, vd_set(1.0 / 11));
    R = vd_fma(R, t.hi, vd_set(-1.0 / 10));
    R = vd_fma(R, t.hi, vd_set(1.0 / 9));
    R = vd_fma(R, t.hi, vd_set(-1.0 / 8));
    R = vd_fma(R, t.hi, vd_set(1.0 / 7));
    R = vd_fma(R, t.hi, vd_set(-1.0 / 6));
    R = vd_fma(R, t.hi, vd_set(1.0 / 5));
    R = vd_fma(R, t.hi, vd_set(-1.0 / 4));
    R = vd_fma(R, t.hi, vd_set(1.0 / 3));
    vd sqh = vd_mul(t.hi, t.hi);
    vd sql = vd_fms(t.hi, t.hi, sqh);
    vd rest = vd_fma(vd_mul(sqh, t.hi), R,
                     vd_fnma(sql, vd_set(0.5), vd_fma(t.lo, vd_sub(sqh, t.hi), t.lo)));
    vdd lead = t1_fast_two_sum(t.hi, vd_mul(sqh, vd_set(-0.5)));
    vdd s = t1_fast_two_sum(vd_mul(p.e, vd_set(LN2_1)), vtab16_get(lh, p.i));
    vdd s2 = t1_fast_two_sum(s.hi, lead.hi);
    vd lo = vd_add(vd_add(s2.lo, s.lo), vd_add(vd_fma(p.e, vd_set(LN2_2), vtab16_get(ll, p.i)),
                                               vd_add(lead.lo, rest)));
    return t1_fast_two_sum(s2.hi, lo);
}

/* softplus_inverse for float64 inputs y > 0 with beta y >= 2**-960 (others:
 * the scalar paths), z = beta y = zh + zl exactly (FMA).  The regions as in
 * the header, with a bound per lane for the rounding test:
 *   high: u = -min(zh, 200) - zl (zl dropped beyond 200, where e**-z <
 *     2**-288 of y); v = 1 - e**u as -(hi + lo) of t1_expm1_dd, absolute
 *     errors below 2**-69 (1 - v) + 2**-106, so log v to 2**-62.2 of itself
 *     plus 2**-68.3 (1 - v)/v (of |log v| too: (1 - v)/(v |log v|) <= 1.6)
 *     plus 2**-105.3 absolute: err = 2**-60.5 |log v/beta| + 2**-104 |x|
 *     (the absolute part below 2**-105.3/beta <= 2**-105.3 |x|, z >= 1);
 *   mid: d = (zh - LN2_1) + (zl - LN2_2) - LN2_3, the first exact
 *     (Sterbenz), the second rounded (2**-96), the sum by 2Sum: rel
 *     2**-66 for |d| >= 2**-30 (closer lanes: the scalar paths); expm1(d)
 *     to 2**-63.4, 1 + 2 expm1(d) exactly as v + v_lo (Fast2Sum), passed on
 *     with a factor at most 1.35; the log's 2**-62.2: err = 2**-60.5 |x|;
 *   low: u = z exactly, expm1(z) to 2**-63.4 relative, an absolute error in
 *     its log, |log| >= 0.56; the log's 2**-62.2: err = 2**-60.5 |x|.
 * Dividing by beta != 1: q = l_hi/beta rounded, its residual exact (FMA),
 * (residual + l_lo)/beta rounded: 2**-100 of x.  The sum for high: 2Sum, its
 * low part and the quotient's added (2**-106). */
INLINE t1d_decision t1d_softplus_inverse(vd y, double b) {
    vtab16 te = vtab16_load(V_EXP), tel = vtab16_load(V_EXP_LO), tc = vtab16_load(V_LOGC);
    vtab16 tlh = vtab16_load(V_LOGL), tll = vtab16_load(V_LOGL_LO);
    vd beta = vd_set(b);
    vd zh = vd_mul(y, beta), zl = vd_fms(y, beta, zh);
    md high = vd_ge(zh, vd_set(1)), low = vd_lt(zh, vd_set(0.45));
    vdd d = t1_two_sum(vd_sub(zh, vd_set(LN2_1)), vd_sub(zl, vd_set(LN2_2)));
    d.lo = vd_sub(d.lo, vd_set(LN2_3));
    vd uh = vd_sel(high, vd_sub(vd_set(0), vd_min(zh, vd_set(200))), vd_sel(low, zh, d.hi));
    vd ul = vd_sel(high, vd_sel(vd_gt(zh, vd_set(200)), vd_set(0), vd_sub(vd_set(0), zl)), vd_sel(low, zl, d.lo));
    vdd e = t1_expm1_dd(uh, ul, te, tel);
    vdd vm = t1_fast_two_sum(vd_set(1), vd_add(e.hi, e.hi));
    vm.lo = vd_add(vm.lo, vd_add(e.lo, e.lo));
    vd neg = vd_set(0);
    vd vh = vd_sel(high, vd_sub(neg, e.hi), vd_sel(low, e.hi, vm.hi));
    vd vlo = vd_sel(high, vd_sub(neg, e.lo), vd_sel(low, e.lo, vm.lo));
    vdd l = t1_log_dd(vh, vlo, tc, tlh, tll);
    if (b != 1.0) l = t1_div_beta(l, b);
    vdd s = t1_two_sum(y, l.hi);
    s.lo = vd_add(s.lo, l.lo);
    vdd x = {vd_sel(high, s.hi, l.hi), vd_sel(high, s.lo, l.lo)};
    vd err = vd_sel(high, vd_fma(vd_abs(l.hi), vd_set(0x1.6a09e667f3bcdp-61), vd_mul(vd_abs(s.hi), vd_set(0x1p-104))),
                    vd_mul(vd_abs(l.hi), vd_set(0x1.6a09e667f3bcdp-61)));
    t1d_decision r = t1_round64_err(x, err);
    md mid_close = md_andnot(md_or(high, low), vd_lt(vd_abs(d.hi), vd_set(0x1p-30)));
    md outside = md_or(vd_ngt(zh, vd_set(0x1p-960)), vd_eq(y, vd_set(INFINITY)));
    r.bad = md_or(r.bad, md_or(mid_close, md_or(outside, vd_ngt(y, vd_set(0)))));
    return r;
}
