/* src/sparse/ukernels/deinterleave.h: split strided rows into column phases, for stride-s input packing */
#ifndef SC_UKERNELS_DEINTERLEAVE_H
#define SC_UKERNELS_DEINTERLEAVE_H

#include <stddef.h>

#include "core/core.h"  /* sc_cpu_set */

/* dst[p][k] = src[k * s + p] for p < np, k < n (1 <= np <= s): the first np column phases
 * of n groups of s consecutive floats, each phase into its own run. Reads src[0 ..
 * (n-1)*s + np) and nothing else (so a row can end on its last used phase), writes
 * dst[p][0 .. n) and nothing else; dst runs do not overlap src or each other. np = 1 is
 * a gather of every s-th float. */
typedef void (*sc_deinterleave_fn)(const float *src, size_t n, size_t s, size_t np,
                                   float *const dst[]);

#define SC_DEINTERLEAVE(name, need, stride) \
    void name(const float *src, size_t n, size_t s, size_t np, float *const dst[]);
#include "sparse/ukernels/deinterleave_list.inc"
#undef SC_DEINTERLEAVE

typedef struct sc_deinterleave_info {
    const char *name;  /* without the "sc_" prefix */
    sc_cpu_set need;
    size_t stride;     /* the s it fixes, 0 for any */
    sc_deinterleave_fn fn;
} sc_deinterleave_info;

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_deinterleave_info sc_deinterleave_table[];

/* The first kernel whose needs `allowed` covers and that takes stride s (never NULL: the
 * portable one takes any). */
sc_deinterleave_fn sc_deinterleave_pick(sc_cpu_set allowed, size_t s);

#endif
