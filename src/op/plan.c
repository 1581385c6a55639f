/* src/op/plan.c: sc_conv_plan: validate, choose sparse or dense, build the chosen plan */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "dense/dense_plan.h"
#include "layer/layer_impl.h"
#include "sparse/sparse_plan.h"

/* Auto engine thresholds for SC_AUTO_RULE: the sparsities from which the sparse engine beat
 * the dense one (oneDNN's direct kernels, capped to the same instruction-set level by
 * SCONV_ISA) on one thread, by the level of the sparse row kernels, by whether the
 * activations are channel-last (the dense engine then needs no reorders while the sparse one
 * transposes), by kernel size and, for 1x1 layers, by depth (docs/kernels.md, "The fixed
 * thresholds (SC_AUTO_RULE)"). */
typedef struct break_evens {
    double nchw_1x1;       /* 1x1 on channel-first, up to SC_AUTO_DEEP_1X1 input channels */
    double nchw_1x1_deep;  /* more input channels than that */
    double nchw_1x1_mm_thin; /* thin 1x1 (SC_AUTO_THIN_1X1) where the dense engine runs a
                                matmul without reorders (sc_dense_matmul_expected) */
    double nchw_1x1_mm;    /* the others up to SC_AUTO_DEEP_1X1 channels there */
    double nhwc_1x1;       /* 1x1 on channel-last, more than SC_AUTO_THIN_NHWC_1X1 channels */
    double nhwc_1x1_thin;  /* at most that many: the transposes outweigh the products */
    double nchw_kxk;       /* KxK on channel-first (beyond SC_AUTO_THIN_KXK) */
    double nhwc_kxk;       /* KxK on channel-last */
    double nchw_kxk_split; /* KxK where the sparse plan takes split taps, up to
                              SC_AUTO_DEEP_KXK products per output: channel-first */
    double nhwc_kxk_split; /* the same, channel-last */
    double kxk_split_deep; /* split taps, more products per output: either layout */
    double nhwc_kxk_thin;  /* at most SC_AUTO_THIN_NHWC_KXK products per output there: the
                              transposes outweigh the products (a first layer) */
} break_evens;

/* AVX-512 row kernels against oneDNN's AVX-512 kernels; also taken by the portable kernels,
 * whose break-evens are not measured (the later ones keep the dense engine longer) */
static const break_evens BREAK_EVENS_AVX512 = {0.40, 0.50, 0.40, 0.45, 0.65, 1.00, 0.62, 0.68,
                                               0.50, 0.55, 0.60, 1.00};
/* AVX2 row kernels against oneDNN's AVX2 kernels: oneDNN loses more than the sparse rows
 * (and has no matmul kernels for the dense engine, nor the sparse one split taps: the mm and
 * split rows do not arise) */
static const break_evens BREAK_EVENS_AVX2 = {0.30, 0.35, 0.30, 0.30, 0.40, 0.60, 0.45, 0.45,
                                             0.45, 0.45, 0.45, 0.80};

#define SC_AUTO_DEEP_1X1 256
#define SC_AUTO_THIN_1X1 64      /* 1x1, channel-first, at most this many input channels */
#define SC_AUTO_THIN_NHWC_1X1 32 /* 1x1, channel-last, at most this many input channels */
#define SC_AUTO_THIN_KXK 80      /* KxK, channel-first, at most this many products per output */
#define SC_AUTO_THIN_NHWC_KXK 32 /* KxK, channel-last, at most this many products per output */
#define SC_AUTO_DEEP_KXK 1152    /* KxK with split taps: more products per output (128
                                    channels x 3x3) break even later */
#define SC_AUTO_SMALL_DW 100     /* depthwise, channel-first: fewer output pixels per plane */

/* The fixed rule: the engine the thresholds pick for L from activations x into y, the
 * threshold, and a sentence. Channel-last: x's channels are adjacent in memory. */
static sc_engine rule_choice(const sc_layer *L, const sc_tensor *x, const sc_tensor *y,
                             sc_cpu_set allowed, double sparsity, double *threshold,
                             char *reason, size_t cap)
{
    const int channel_last = x->dims[SC_C] > 1 && x->strides[SC_C] == 1;
    if (L->wd.icg == 1 && L->params.groups > 1) {
        /* depthwise: on channel-last activations oneDNN's depthwise kernel reads each pixel's
         * channels as one vector and beats the sparse engine at any sparsity; on
         * channel-first ones it needs reorders and the sparse engine's direct loops are
         * faster, but for small planes, where their cost per plane dominates */
        const int small = y->dims[SC_H] * y->dims[SC_W] < SC_AUTO_SMALL_DW;
        *threshold = channel_last || small ? 1.0 : 0.0;
        snprintf(reason, cap, "auto: one input channel per group (depthwise) on %s "
                 "activations%s, where the %s engine is faster at any sparsity (here %.3f)",
                 channel_last ? "channel-last" : "channel-first",
                 !channel_last && small ? " into small planes" : "",
                 *threshold > 0 ? "dense" : "sparse", sparsity);
        return sparsity >= *threshold ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE;
    }
    const int pointwise = L->wd.kh == 1 && L->wd.kw == 1;
    const int64_t products = L->wd.icg * L->wd.kh * L->wd.kw;  /* per output element */
    /* a 1x1 product the dense engine runs as a matmul pays no reorders */
    const int matmul = pointwise && !channel_last &&
                       sc_dense_matmul_expected(&L->params, &L->wd, x, y);
    if (!channel_last) {
        /* thin layers are bound by the dense engine's reorders (where it has them); 4x1
         * blocks (dense layers) run the block kernels, which share each input load among 4
         * channels and beat or match the dense engine with AVX-512 only */
        const int blocks =
            pointwise && L->wd.icg <= SC_AUTO_DEEP_1X1 && sc_layer_has_4x1_blocks(L);
        const int fast_blocks =
            blocks && sc_spmm_kit_pick(allowed, 4).chain[0]->need == SC_CPU_X86_AVX512;
        const int thin = !matmul && products <= (pointwise ? SC_AUTO_THIN_1X1 : SC_AUTO_THIN_KXK);
        if (fast_blocks || (thin && !blocks)) {
            *threshold = 0.0;
            snprintf(reason, cap, "auto: %s layer on channel-first activations with %s, where "
                     "the sparse engine is faster at any sparsity (here %.3f)",
                     pointwise ? "1x1" : "KxK",
                     fast_blocks ? "weights in 4x1 blocks (AVX-512 block kernels)"
                                 : "few products per output", sparsity);
            return SC_ENGINE_SPARSE;
        }
    }
    const int avx2_rows = sc_spmm_kit_pick(allowed, 1).chain[0]->need == SC_CPU_X86_AVX2;
    const break_evens *be = avx2_rows ? &BREAK_EVENS_AVX2 : &BREAK_EVENS_AVX512;
    double from;
    const int split = !pointwise && sc_sparse_taps_split_expected(L, y, allowed);
    if (!pointwise && channel_last && products <= SC_AUTO_THIN_NHWC_KXK)
        from = be->nhwc_kxk_thin;
    else if (split)
        from = products > SC_AUTO_DEEP_KXK ? be->kxk_split_deep
               : channel_last              ? be->nhwc_kxk_split
                                           : be->nchw_kxk_split;
    else if (!pointwise)
        from = channel_last ? be->nhwc_kxk : be->nchw_kxk;
    else if (channel_last)
        from = L->wd.icg <= SC_AUTO_THIN_NHWC_1X1 ? be->nhwc_1x1_thin : be->nhwc_1x1;
    else if (L->wd.icg > SC_AUTO_DEEP_1X1)
        from = be->nchw_1x1_deep;
    else if (matmul)
        from = L->wd.icg <= SC_AUTO_THIN_1X1 ? be->nchw_1x1_mm_thin : be->nchw_1x1_mm;
    else
        from = be->nchw_1x1;
    *threshold = from;
    snprintf(reason, cap, "auto: sparsity %.3f is %s the measured sparse/dense break-even of "
             "%.2f for %s layers on %s activations%s with %s row kernels, so %s", sparsity,
             sparsity < from ? "below" : "at or above", from, pointwise ? "1x1" : "KxK",
             channel_last ? "channel-last" : "channel-first",
             matmul ? " (the dense engine's matmul)" : split ? " (split taps)" : "",
             avx2_rows ? "AVX2" : "AVX-512 or portable",
             sparsity < from ? "the dense engine is faster" : "skipping zeros pays");
    return sparsity < from ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE;
}

/* The plan proper, with the gate held: no run reads op meanwhile. Builds the chosen engine's
 * plan (both when measuring), then replaces the old plans; on failure op is unchanged. */
static sc_status plan_gated(sc_conv *op, const sc_tensor *x, const sc_tensor *y)
{
    const sc_layer *L = op->layer;
    sc_status st = sc_conv_check(&L->params, &L->wd, x, y);
    if (st != SC_OK) return st;
    const double sparsity = 1.0 - (double)L->nnz / (double)sc_wdesc_numel(&L->wd);
    sc_conv_choice ch = {.kernel = NULL, .measured = 0, .ms_sparse = NAN, .ms_dense = NAN,
                         .ms_waited = 0, .sparsity = sparsity};
    char reason[256];
    ch.rule = rule_choice(L, x, y, sc_kernel_features(op->opt.kernel), sparsity, &ch.threshold,
                          reason, sizeof reason);
    sc_engine engine = op->opt.engine;
    int measure = 0;  /* auto: time both engines on this shape before choosing */
    if (engine == SC_ENGINE_AUTO) {
        engine = ch.rule;
        measure = op->opt.auto_mode == SC_AUTO_MEASURE && ch.threshold > 0;
    } else {
        snprintf(reason, sizeof reason, "%s engine forced by the options (sparsity %.3f)",
                 engine == SC_ENGINE_SPARSE ? "sparse" : "dense", sparsity);
    }
    sc_sparse_plan sp;
    sc_dense_plan dp;
    memset(&sp, 0, sizeof sp);
    memset(&dp, 0, sizeof dp);
    if (engine == SC_ENGINE_SPARSE || measure) {
        const sc_sparse_options so = {.allowed = sc_kernel_features(op->opt.kernel),
                                      .threads = op->opt.threads, .act = op->act,
                                      .bias = op->bias, .accumulate = op->opt.accumulate};
        st = sc_sparse_plan_build(L, x, y, &so, &sp);
        if (st == SC_EUNSUPPORTED && op->opt.engine == SC_ENGINE_AUTO) {
            engine = SC_ENGINE_DENSE;
            measure = 0;
            snprintf(reason, sizeof reason, "auto: %s; dense instead", sc_last_message());
            st = SC_OK;
        }
        if (st != SC_OK) return st;
    }
    if (engine == SC_ENGINE_DENSE || measure) {
        const sc_dense_options dopt = {.bias = op->bias, .act = op->opt.act,
                                       .threads = op->opt.threads,
                                       .accumulate = op->opt.accumulate};
        if ((st = sc_dense_plan_build_layer(L, x, y, &dopt, &dp)) != SC_OK) {
            sc_sparse_plan_clear(&sp);
            return st;
        }
    }
    if (measure) {
        if ((st = sc_auto_measure(&sp, &dp, op->opt.threads, &ch.ms_sparse, &ch.ms_dense,
                                  &ch.ms_waited)) != SC_OK) {
            sc_sparse_plan_clear(&sp);
            sc_dense_plan_clear(&dp);
            return st;
        }
        ch.measured = 1;
        engine = ch.ms_sparse <= ch.ms_dense ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE;
        char waited[80] = "";
        if (ch.ms_waited >= 1)
            snprintf(waited, sizeof waited, "; waited %.0f ms for other threads to go idle",
                     ch.ms_waited);
        snprintf(reason, sizeof reason, "auto: timed at plan: sparse %.3g ms, dense %.3g ms, so "
                 "%s (sparsity %.3f; the fixed thresholds would say %s%s)", ch.ms_sparse,
                 ch.ms_dense, engine == SC_ENGINE_SPARSE ? "sparse" : "dense", sparsity,
                 ch.rule == SC_ENGINE_SPARSE ? "sparse" : "dense", waited);
        if (engine == SC_ENGINE_DENSE) sc_sparse_plan_clear(&sp);
        else sc_dense_plan_clear(&dp);
    }
    sc_sparse_plan_clear(&op->sp);
    sc_dense_plan_clear(&op->dp);
    op->sp = sp;
    op->dp = dp;
    op->x = *x;
    op->y = *y;
    op->engine = engine;
    ch.engine = engine;
    ch.kernel = engine == SC_ENGINE_DENSE ? op->dp.kernel : sc_sparse_kernel_name(&sp);
    op->choice = ch;
    memcpy(op->reason, reason, sizeof reason);
    op->planned = 1;
    return SC_OK;
}

sc_status sc_conv_plan(sc_conv *op, const sc_tensor *x, const sc_tensor *y)
{
    if (!op || !x || !y) return sc_fail(SC_EINVAL, "conv_plan: op, x and y must not be NULL");
    sc_status st = sc_gate_plan_enter(&op->gate, "conv_plan");
    if (st != SC_OK) return st;
    st = plan_gated(op, x, y);
    sc_gate_plan_leave(&op->gate);
    return st;
}
