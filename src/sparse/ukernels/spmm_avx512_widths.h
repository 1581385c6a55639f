/* src/sparse/ukernels/spmm_avx512_widths.h: the k-mask and the per-width dispatch the AVX-512 row kernels of any 1..128 pixels share */
#ifndef SC_UKERNELS_SPMM_AVX512_WIDTHS_H
#define SC_UKERNELS_SPMM_AVX512_WIDTHS_H

#include <immintrin.h>
#include <stddef.h>

/* The lanes of the last of ceil(mr / 16) zmm that hold pixels below mr. */
static inline __mmask16 sc_spmm_last_lanes(size_t mr)
{
    return (__mmask16)(0xFFFFu >> ((16 - mr % 16) % 16));
}

/* Calls ROWS(NV, MASKED) for NV = ceil(mr / 16) in 1..8 (a compile-time constant in each
 * case, so every width gets its own unrolled body), MASKED = 1 when mr is not a multiple of
 * 16, then returns; does nothing for other mr. */
#define SC_SPMM_AVX512_DISPATCH(mr, ROWS)         \
    do {                                          \
        const int full_ = (mr) % 16 == 0;         \
        switch (((mr) + 15) / 16) {               \
        case 1: ROWS(1, !full_); return;          \
        case 2: ROWS(2, !full_); return;          \
        case 3: ROWS(3, !full_); return;          \
        case 4: ROWS(4, !full_); return;          \
        case 5: ROWS(5, !full_); return;          \
        case 6: ROWS(6, !full_); return;          \
        case 7: ROWS(7, !full_); return;          \
        case 8: ROWS(8, !full_); return;          \
        default: return;                          \
        }                                         \
    } while (0)

#endif
