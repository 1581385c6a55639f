/* tests/common/rng.h: the tests' one deterministic generator (xorshift64*), from a printed seed */
#ifndef TESTS_COMMON_RNG_H
#define TESTS_COMMON_RNG_H

#include <stdint.h>
#include <stdlib.h>

/* The state is the seed; it must not be 0 (xorshift stays at 0). */
typedef struct ct_rng { uint64_t s; } ct_rng;

/* The next 64-bit output: xorshift64* with the multiplier of Vigna's paper. */
static inline uint64_t ct_next(ct_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

/* Uniform in [0, 1) from the top 53 bits. */
static inline double ct_uniform(ct_rng *r)
{
    return (double)(ct_next(r) >> 11) / 9007199254740992.0;
}

/* Uniform in [lo, hi]. */
static inline int64_t ct_int(ct_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(ct_uniform(r) * (double)(hi - lo + 1));
}

/* Uniform float in [-1, 1). */
static inline float ct_float(ct_rng *r)
{
    return (float)(2 * ct_uniform(r) - 1);
}

/* A malloc'd buffer of len floats uniform in [-1, 1) (free() it). */
static inline float *ct_float_buf(ct_rng *r, int64_t len)
{
    float *b = malloc((size_t)len * sizeof *b);
    for (int64_t i = 0; b && i < len; ++i) b[i] = ct_float(r);
    return b;
}

/* The top 32 bits of the next output. */
static inline uint32_t ct_u32(ct_rng *r)
{
    return (uint32_t)(ct_next(r) >> 32);
}

#endif
