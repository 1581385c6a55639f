/* src/core/epilogue.h: the one activation rule (bias, then clamp bounds) every conv path applies */
#ifndef SC_CORE_EPILOGUE_H
#define SC_CORE_EPILOGUE_H

#include <math.h>

#include "sconv/conv_params.h"

/* Every fused activation is a clamp to [lo, hi]:
 *   none   [-inf, +inf]     relu  [0, +inf]
 *   relu6  [0, 6]           clamp [act->lo, act->hi]
 * The clamp is written with two comparisons that are false for NaN, so a NaN
 * pre-activation stays NaN (NaN propagates through ReLU, ReLU6 and clamp, as in
 * PyTorch's relu/clamp). -0.0 passes ReLU unchanged (-0.0 < 0 is false); it compares
 * equal to 0. Build one with sc_epilogue_make from a checked activation (NULL = none). */
typedef struct sc_epilogue {
    float lo, hi;
} sc_epilogue;

static inline sc_epilogue sc_epilogue_make(const sc_activation *act)
{
    sc_epilogue ep = {-INFINITY, INFINITY};
    if (!act) return ep;
    switch (act->kind) {
    case SC_ACT_RELU: ep.lo = 0.0f; break;
    case SC_ACT_RELU6: ep.lo = 0.0f; ep.hi = 6.0f; break;
    case SC_ACT_CLAMP: ep.lo = act->lo; ep.hi = act->hi; break;
    default: break;  /* SC_ACT_NONE */
    }
    return ep;
}

/* True when the epilogue does nothing (no activation); with no bias a path may skip it. */
static inline int sc_epilogue_is_identity(const sc_epilogue *ep)
{
    return ep->lo == -INFINITY && ep->hi == INFINITY;
}

/* The activation alone on a finished float: NaN kept, -0.0 passes ReLU, -inf becomes lo. */
static inline float sc_epilogue_clamp_f32(const sc_epilogue *ep, float v)
{
    v = v < ep->lo ? ep->lo : v;  /* false for NaN: NaN kept */
    v = v > ep->hi ? ep->hi : v;
    return v;
}

/* act(acc + bias) in single precision: the rule for every float path. */
static inline float sc_epilogue_f32(const sc_epilogue *ep, float acc, float bias)
{
    return sc_epilogue_clamp_f32(ep, acc + bias);
}

/* act(acc + bias) in double, for the reference. lo and hi are floats, so clamping
 * before or after rounding to float gives the same float. */
static inline double sc_epilogue_f64(const sc_epilogue *ep, double acc, double bias)
{
    double v = acc + bias;
    v = v < (double)ep->lo ? (double)ep->lo : v;
    v = v > (double)ep->hi ? (double)ep->hi : v;
    return v;
}

#endif
