/* src/op/plan.c: sc_conv_plan: validate, choose sparse or dense, build the chosen plan */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "layer/layer_impl.h"
#include "sparse/sparse_plan.h"

/* Auto engine thresholds for SC_AUTO_RULE: the sparsities from which the sparse engine beat
 * the dense one (oneDNN's direct kernels) on one thread, by kernel, by whether the
 * activations are channel-last (the dense engine then needs no reorders while the sparse one
 * transposes) and, for NCHW 1x1 layers, by depth and by whether the weights form 4x1 blocks
 * (dense layers do: the AVX-512 block kernels then beat the dense engine's reorders from
 * sparsity 0, the AVX2 ones do not);
 * layers with one input channel per group go sparse on channel-first activations and dense
 * on channel-last ones (docs/kernels.md, "The fixed thresholds (SC_AUTO_RULE)"). */
#define SC_AUTO_SPARSE_FROM_1X1_NCHW 0.40       /* up to SC_AUTO_DEEP_1X1 input channels */
#define SC_AUTO_SPARSE_FROM_1X1_NCHW_DEEP 0.50  /* more input channels than that */
#define SC_AUTO_SPARSE_FROM_1X1_NHWC 0.65
#define SC_AUTO_SPARSE_FROM_KXK 0.70
#define SC_AUTO_DEEP_1X1 256
#define SC_AUTO_THIN_1X1 64  /* NCHW 1x1 with at most this many input channels: always sparse */

/* The fixed rule: the engine the thresholds pick for L on activations x, the threshold, and
 * a sentence. Channel-last: x's channels are adjacent in memory. */
static sc_engine rule_choice(const sc_layer *L, const sc_tensor *x, sc_cpu_set allowed,
                             double sparsity, double *threshold, char *reason, size_t cap)
{
    const int channel_last = x->dims[SC_C] > 1 && x->strides[SC_C] == 1;
    if (L->wd.icg == 1 && L->params.groups > 1) {
        /* depthwise: on channel-last activations oneDNN's depthwise kernel reads each pixel's
         * channels as one vector and beats the sparse rows at any sparsity; on channel-first
         * ones it needs reorders and the sparse engine is as fast or faster */
        *threshold = channel_last ? 1.0 : 0.0;
        snprintf(reason, cap, "auto: one input channel per group (depthwise) on %s "
                 "activations, where the %s engine is faster at any sparsity (here %.3f)",
                 channel_last ? "channel-last" : "channel-first",
                 channel_last ? "dense" : "sparse", sparsity);
        return sparsity >= *threshold ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE;
    }
    const int pointwise = L->wd.kh == 1 && L->wd.kw == 1;
    if (pointwise && !channel_last && L->wd.icg <= SC_AUTO_DEEP_1X1) {
        /* thin layers are bound by the dense engine's reorders; 4x1 blocks (dense layers)
         * run the block kernels, which share each input load among 4 channels and beat
         * those reorders with AVX-512 only */
        const int blocks = sc_layer_has_4x1_blocks(L);
        const sc_spmm_kit bk = sc_spmm_kit_pick(allowed, 4);
        const int fast_blocks = bk.chain[0]->need == SC_CPU_X86_AVX512;
        if (blocks ? fast_blocks : L->wd.icg <= SC_AUTO_THIN_1X1) {
            *threshold = 0.0;
            snprintf(reason, cap, "auto: 1x1 layer on channel-first activations with %s, where "
                     "the sparse engine is faster at any sparsity (here %.3f)",
                     blocks ? "weights in 4x1 blocks (AVX-512 block kernels)"
                            : "few input channels", sparsity);
            return SC_ENGINE_SPARSE;
        }
    }
    double from = SC_AUTO_SPARSE_FROM_KXK;
    if (pointwise)
        from = channel_last               ? SC_AUTO_SPARSE_FROM_1X1_NHWC
               : L->wd.icg > SC_AUTO_DEEP_1X1 ? SC_AUTO_SPARSE_FROM_1X1_NCHW_DEEP
                                          : SC_AUTO_SPARSE_FROM_1X1_NCHW;
    *threshold = from;
    snprintf(reason, cap, "auto: sparsity %.3f is %s the measured sparse/dense break-even of "
             "%.2f for %s layers on %s activations, so %s", sparsity,
             sparsity < from ? "below" : "at or above", from, pointwise ? "1x1" : "KxK",
             channel_last ? "channel-last" : "channel-first",
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
    ch.rule = rule_choice(L, x, sc_kernel_features(op->opt.kernel), sparsity, &ch.threshold,
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
                                      .bias = op->bias};
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
                                       .threads = op->opt.threads};
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
