/* softlearn/_tier1.h: the first tier of Ziv's strategy in the vector builds.
 *
 * Each function takes a register of inputs and returns a register of results
 * and the mask of the lanes it leaves undecided; those, and only those, go
 * to the scalar paths of _functions.h (double, then double-double, then
 * exact arithmetic).  A decided lane is the correctly rounded result: the
 * argument is written next to each function.  Only the AVX2 and AVX-512
 * builds include this file; both have FMA, which the residuals rely on.
 */
#ifndef SOFTLEARN_TIER1_H
#define SOFTLEARN_TIER1_H

#include "_simd.h"

/* The tables of _tables.h fill a vtab16 each, and _tier1_exp.h reads j from
 * an index's low bits. */
_Static_assert(V_N == 16, "the first tier's tables have 16 entries");

/* The template's parameters; _tier1_rational.h undefines them at its end. */
#define T vf
#define M mf
#define OP(x) vf_##x
#define MOP(x) mf_##x
#define SCALAR float
#define UINT uint32_t
#define P 24
#define GRAD_LIMIT 0x1p40f
#define NAME(x) t1f_##x
#include "_tier1_rational.h"

#define T vd
#define M md
#define OP(x) vd_##x
#define MOP(x) md_##x
#define SCALAR double
#define UINT uint64_t
#define P 53
#define GRAD_LIMIT 0x1p400
#define NAME(x) t1d_##x
#include "_tier1_rational.h"

#include "_tier1_exp.h"
#include "_tier1_inverse.h"

#endif
