/* softlearn/_simd.h: the vector operations the first tier (_tier1.h) is written in.
 *
 * One set of names, two implementations: AVX-512 (KERNELS_AVX512: 16 floats
 * or 8 doubles a register, masks in k registers) and AVX2 with FMA
 * (KERNELS_AVX2: 8 floats or 4 doubles, masks as vectors of all-ones lanes).
 * The generic build has no FMA to rely on and keeps the block loops of
 * _loops.h.  Every operation here is one IEEE operation per lane, rounded to
 * nearest, or exact (bit operations, comparisons, selects), so a kernel
 * written once gives the same bits in both builds.
 *
 *   vf, vd       float32 and float64 registers; VF_N == 2 * VD_N lanes
 *   vi, vl       int32 and int64 registers of the same width (bit patterns)
 *   mf, md       lane masks for vf and vd
 *
 * min and max return their second operand where either is NaN (the x86
 * rule), so min(c, x) passes a NaN x through.
 */
#ifndef SOFTLEARN_SIMD_H
#define SOFTLEARN_SIMD_H

#include <immintrin.h>
#include <stdint.h>

#define V INLINE

#if defined(KERNELS_AVX512)

#define VF_N 16
#define VD_N 8
typedef __m512 vf;
typedef __m512d vd;
typedef __m512i vi;
typedef __m512i vl;
typedef __mmask16 mf;
typedef __mmask8 md;

V vf vf_set(float a) { return _mm512_set1_ps(a); }
V vd vd_set(double a) { return _mm512_set1_pd(a); }
V vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
V vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
V void vf_store(float *p, vf a) { _mm512_storeu_ps(p, a); }
V void vd_store(double *p, vd a) { _mm512_storeu_pd(p, a); }
/* Stores that bypass the cache, to addresses aligned to the register's size. */
V void vf_stream(float *p, vf a) { _mm512_stream_ps(p, a); }
V void vd_stream(double *p, vd a) { _mm512_stream_pd(p, a); }

V vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
V vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
V vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
V vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
V vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }   /* a b + c */
V vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); } /* c - a b */
V vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
V vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
V vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
V vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
V vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
V vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
V vd vd_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
V vd vd_fnma(vd a, vd b, vd c) { return _mm512_fnmadd_pd(a, b, c); }
V vd vd_fms(vd a, vd b, vd c) { return _mm512_fmsub_pd(a, b, c); } /* a b - c */
V vd vd_max(vd a, vd b) { return _mm512_max_pd(a, b); }
V vd vd_min(vd a, vd b) { return _mm512_min_pd(a, b); }

V vi vf_bits(vf a) { return _mm512_castps_si512(a); }
V vf vf_from_bits(vi a) { return _mm512_castsi512_ps(a); }
V vl vd_bits(vd a) { return _mm512_castpd_si512(a); }
V vd vd_from_bits(vl a) { return _mm512_castsi512_pd(a); }
V vi vi_set(int32_t a) { return _mm512_set1_epi32(a); }
V vl vl_set(int64_t a) { return _mm512_set1_epi64(a); }
V vi vi_and(vi a, vi b) { return _mm512_and_si512(a, b); }
V vi vi_or(vi a, vi b) { return _mm512_or_si512(a, b); }
V vi vi_xor(vi a, vi b) { return _mm512_xor_si512(a, b); }
V vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
V vi vi_sub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
V vl vl_and(vl a, vl b) { return _mm512_and_si512(a, b); }
V vl vl_or(vl a, vl b) { return _mm512_or_si512(a, b); }
V vl vl_xor(vl a, vl b) { return _mm512_xor_si512(a, b); }
V vl vl_add(vl a, vl b) { return _mm512_add_epi64(a, b); }
V vl vl_sub(vl a, vl b) { return _mm512_sub_epi64(a, b); }
V vl vl_shl(vl a, int n) { return _mm512_slli_epi64(a, (unsigned)n); }
V vl vl_sra(vl a, int n) { return _mm512_srai_epi64(a, (unsigned)n); }

V mf vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
V mf vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
V mf vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
V mf vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
V mf vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
V mf vf_nan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
V mf vf_ne(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_OQ); } /* false for NaN */
V mf vi_eq(vi a, vi b) { return _mm512_cmpeq_epi32_mask(a, b); }
V md vd_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
V md vd_le(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
V md vd_eq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
V md vd_ge(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
V md vd_gt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
V md vd_nan(vd a) { return _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q); }
V md vd_ne(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_OQ); }
V md vd_ngt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_NGT_UQ); } /* true for NaN */
V md vl_eq(vl a, vl b) { return _mm512_cmpeq_epi64_mask(a, b); }

V mf mf_and(mf a, mf b) { return a & b; }
V mf mf_or(mf a, mf b) { return a | b; }
V mf mf_andnot(mf a, mf b) { return (mf)(~a & b); } /* b and not a */
V int mf_any(mf a) { return a != 0; }
V unsigned mf_bits(mf a) { return a; } /* bit i: lane i */
V md md_and(md a, md b) { return a & b; }
V md md_or(md a, md b) { return a | b; }
V md md_andnot(md a, md b) { return (md)(~a & b); }
V int md_any(md a) { return a != 0; }
V int md_all(md a) { return a == 0xff; }
V unsigned md_bits(md a) { return a; }
/* the two halves of a float mask as double masks, and back */
V md mf_lo(mf a) { return (md)(a & 0xff); }
V md mf_hi(mf a) { return (md)(a >> 8); }
V mf mf_join(md lo, md hi) { return (mf)(lo | ((unsigned)hi << 8)); }

V vf vf_sel(mf m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); } /* m ? a : b */
V vd vd_sel(md m, vd a, vd b) { return _mm512_mask_blend_pd(m, b, a); }
V vl vl_sel(md m, vl a, vl b) { return _mm512_mask_blend_epi64(m, b, a); }

/* The float register's lanes 0..VD_N-1 and VD_N..VF_N-1 as doubles (exact), and back
 * (rounded to nearest). */
V vd vd_lo(vf a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
V vd vd_hi(vf a) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
}
V vf vf_join(vd lo, vd hi) {
    __m512d l = _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)));
    return _mm512_castpd_ps(_mm512_insertf64x4(l, _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

/* Estimates of 1/a, to 2**-14. */
V vf vf_recip_estimate(vf a) { return _mm512_rcp14_ps(a); }
V vd vd_recip_estimate(vd a) { return _mm512_rcp14_pd(a); }

/* t[i] for a table of 16 doubles held in two registers; i from the low 4 bits of idx. */
typedef struct {
    vd a, b;
} vtab16;
V vtab16 vtab16_load(const double *t) { return (vtab16){vd_load(t), vd_load(t + 8)}; }
V vd vtab16_get(vtab16 t, vl idx) { return _mm512_permutex2var_pd(t.a, idx, t.b); }

/* Lanes: load n < VF_N elements (the rest 0), store n. */
V vf vf_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps((mf)((1u << n) - 1), p); }
V vd vd_load_n(const double *p, int n) { return _mm512_maskz_loadu_pd((md)((1u << n) - 1), p); }
V void vf_store_n(float *p, vf a, int n) { _mm512_mask_storeu_ps(p, (mf)((1u << n) - 1), a); }
V void vd_store_n(double *p, vd a, int n) { _mm512_mask_storeu_pd(p, (md)((1u << n) - 1), a); }

#elif defined(KERNELS_AVX2)

#define VF_N 8
#define VD_N 4
typedef __m256 vf;
typedef __m256d vd;
typedef __m256i vi;
typedef __m256i vl;
typedef __m256 mf; /* all-ones lanes */
typedef __m256d md;

V vf vf_set(float a) { return _mm256_set1_ps(a); }
V vd vd_set(double a) { return _mm256_set1_pd(a); }
V vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
V vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
V void vf_store(float *p, vf a) { _mm256_storeu_ps(p, a); }
V void vd_store(double *p, vd a) { _mm256_storeu_pd(p, a); }
V void vf_stream(float *p, vf a) { _mm256_stream_ps(p, a); }
V void vd_stream(double *p, vd a) { _mm256_stream_pd(p, a); }

V vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
V vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
V vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
V vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
V vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
V vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
V vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
V vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
V vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
V vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
V vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
V vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
V vd vd_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
V vd vd_fnma(vd a, vd b, vd c) { return _mm256_fnmadd_pd(a, b, c); }
V vd vd_fms(vd a, vd b, vd c) { return _mm256_fmsub_pd(a, b, c); }
V vd vd_max(vd a, vd b) { return _mm256_max_pd(a, b); }
V vd vd_min(vd a, vd b) { return _mm256_min_pd(a, b); }

V vi vf_bits(vf a) { return _mm256_castps_si256(a); }
V vf vf_from_bits(vi a) { return _mm256_castsi256_ps(a); }
V vl vd_bits(vd a) { return _mm256_castpd_si256(a); }
V vd vd_from_bits(vl a) { return _mm256_castsi256_pd(a); }
V vi vi_set(int32_t a) { return _mm256_set1_epi32(a); }
V vl vl_set(int64_t a) { return _mm256_set1_epi64x(a); }
V vi vi_and(vi a, vi b) { return _mm256_and_si256(a, b); }
V vi vi_or(vi a, vi b) { return _mm256_or_si256(a, b); }
V vi vi_xor(vi a, vi b) { return _mm256_xor_si256(a, b); }
V vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
V vi vi_sub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
V vl vl_and(vl a, vl b) { return _mm256_and_si256(a, b); }
V vl vl_or(vl a, vl b) { return _mm256_or_si256(a, b); }
V vl vl_xor(vl a, vl b) { return _mm256_xor_si256(a, b); }
V vl vl_add(vl a, vl b) { return _mm256_add_epi64(a, b); }
V vl vl_sub(vl a, vl b) { return _mm256_sub_epi64(a, b); }
V vl vl_shl(vl a, int n) { return _mm256_slli_epi64(a, n); }
/* AVX2 has no 64-bit arithmetic shift: used only on values whose high bits
 * are copies of the sign, from the 32-bit one and the logical one. */
V vl vl_sra(vl a, int n) {
    vl logical = _mm256_srli_epi64(a, n);
    vl sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), a);
    return _mm256_or_si256(logical, _mm256_slli_epi64(sign, 64 - n));
}

V mf vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
V mf vf_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
V mf vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
V mf vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
V mf vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
V mf vf_nan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
V mf vf_ne(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_OQ); }
V mf vi_eq(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)); }
V md vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
V md vd_le(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
V md vd_eq(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
V md vd_ge(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
V md vd_gt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
V md vd_nan(vd a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
V md vd_ne(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_NEQ_OQ); }
V md vd_ngt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_NGT_UQ); }
V md vl_eq(vl a, vl b) { return _mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b)); }

V mf mf_and(mf a, mf b) { return _mm256_and_ps(a, b); }
V mf mf_or(mf a, mf b) { return _mm256_or_ps(a, b); }
V mf mf_andnot(mf a, mf b) { return _mm256_andnot_ps(a, b); }
V int mf_any(mf a) { return _mm256_movemask_ps(a) != 0; }
V unsigned mf_bits(mf a) { return (unsigned)_mm256_movemask_ps(a); }
V md md_and(md a, md b) { return _mm256_and_pd(a, b); }
V md md_or(md a, md b) { return _mm256_or_pd(a, b); }
V md md_andnot(md a, md b) { return _mm256_andnot_pd(a, b); }
V int md_any(md a) { return _mm256_movemask_pd(a) != 0; }
V int md_all(md a) { return _mm256_movemask_pd(a) == 0xf; }
V unsigned md_bits(md a) { return (unsigned)_mm256_movemask_pd(a); }
/* A double mask's lanes widen a float mask's (each 32-bit lane doubled). */
V md mf_lo(mf a) {
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(_mm256_castps_si256(a))));
}
V md mf_hi(mf a) {
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(_mm256_castps_si256(a), 1)));
}
V mf mf_join(md lo, md hi) {
    /* the low 32 bits of each 64-bit lane, in order */
    const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    __m256i l = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(lo), pick);
    __m256i h = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(hi), pick);
    return _mm256_castsi256_ps(_mm256_permute2x128_si256(l, h, 0x20));
}

V vf vf_sel(mf m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
V vd vd_sel(md m, vd a, vd b) { return _mm256_blendv_pd(b, a, m); }
V vl vl_sel(md m, vl a, vl b) {
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(b), _mm256_castsi256_pd(a), m));
}

V vd vd_lo(vf a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
V vd vd_hi(vf a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }
V vf vf_join(vd lo, vd hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}

/* Estimates of 1/a, to 1.5 2**-12 (the float one for doubles too, whose
 * callers keep a within the float range). */
V vf vf_recip_estimate(vf a) { return _mm256_rcp_ps(a); }
V vd vd_recip_estimate(vd a) { return _mm256_cvtps_pd(_mm_rcp_ps(_mm256_cvtpd_ps(a))); }

/* 16 doubles in four registers: permute within each by the low 2 bits, then
 * choose by bits 2 and 3. */
typedef struct {
    vd a, b, c, d;
} vtab16;
V vtab16 vtab16_load(const double *t) {
    return (vtab16){vd_load(t), vd_load(t + 4), vd_load(t + 8), vd_load(t + 12)};
}
V vd vtab16_get(vtab16 t, vl idx) {
    /* vpermilpd takes bit 1 of each 64-bit lane, within 128-bit halves; a
     * full 4-lane permute needs vpermpd with an immediate, so go through
     * 32-bit lanes: lane k of the result takes doubles idx&3. */
    __m256i lo = _mm256_and_si256(idx, _mm256_set1_epi64x(3));
    __m256i two = _mm256_add_epi32(_mm256_slli_epi64(lo, 1),
                                   _mm256_slli_epi64(_mm256_add_epi64(_mm256_slli_epi64(lo, 1),
                                                                      _mm256_set1_epi64x(1)), 32));
    vd ra = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(t.a), two));
    vd rb = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(t.b), two));
    vd rc = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(t.c), two));
    vd rd = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(t.d), two));
    /* blendv reads the sign bit: move bit 2 and bit 3 of idx there */
    md b2 = _mm256_castsi256_pd(_mm256_slli_epi64(idx, 61));
    md b3 = _mm256_castsi256_pd(_mm256_slli_epi64(idx, 60));
    return _mm256_blendv_pd(_mm256_blendv_pd(ra, rb, b2), _mm256_blendv_pd(rc, rd, b2), b3);
}

V vf vf_load_n(const float *p, int n) {
    const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_maskload_ps(p, _mm256_loadu_si256((const __m256i *)(lanes + 8 - n)));
}
V vd vd_load_n(const double *p, int n) {
    const int64_t lanes[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    return _mm256_maskload_pd(p, _mm256_loadu_si256((const __m256i *)(lanes + 4 - n)));
}
V void vf_store_n(float *p, vf a, int n) {
    const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    _mm256_maskstore_ps(p, _mm256_loadu_si256((const __m256i *)(lanes + 8 - n)), a);
}
V void vd_store_n(double *p, vd a, int n) {
    const int64_t lanes[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    _mm256_maskstore_pd(p, _mm256_loadu_si256((const __m256i *)(lanes + 4 - n)), a);
}

#endif

/* --- shared, written with the operations above */

V vf vf_abs(vf a) { return vf_from_bits(vi_and(vf_bits(a), vi_set(0x7fffffff))); }
V vd vd_abs(vd a) { return vd_from_bits(vl_and(vd_bits(a), vl_set(INT64_MAX))); }
/* |mag| with the sign of s */
V vf vf_copysign(vf mag, vf s) {
    return vf_from_bits(vi_or(vi_and(vf_bits(mag), vi_set(0x7fffffff)),
                              vi_and(vf_bits(s), vi_set((int32_t)0x80000000))));
}
V vd vd_copysign(vd mag, vd s) {
    return vd_from_bits(vl_or(vl_and(vd_bits(mag), vl_set(INT64_MAX)),
                              vl_and(vd_bits(s), vl_set(INT64_MIN))));
}

/* 1/a to 2**-22 for a in [1, 2**100): the estimate and one Newton step, whose
 * error is the estimate's squared plus two roundings. */
V vf vf_recip(vf a) {
    vf r = vf_recip_estimate(a);
    return vf_fma(r, vf_fnma(a, r, vf_set(1)), r);
}
V vd vd_recip(vd a) {
    vd r = vd_recip_estimate(a);
    return vd_fma(r, vd_fnma(a, r, vd_set(1)), r);
}

#undef V
#endif
