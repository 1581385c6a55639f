/* src/sparse/plan.c: sc_conv_plan: validate, choose sparse or dense, build the chosen plan */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sparse/conv_impl.h"
#include "sparse/kernel_choice.h"
#include "layer/layer_impl.h"

/* Auto engine thresholds for SC_AUTO_RULE: the sparsities from which the sparse engine
 * beat the OpenBLAS im2col fallback on one thread, 1x1 and KxK apart; layers with one input
 * channel per group always go sparse, im2col + sgemm per group being slow there
 * (docs/kernels.md, "The fixed thresholds (SC_AUTO_RULE)"). */
#define SC_AUTO_SPARSE_FROM_1X1 0.45
#define SC_AUTO_SPARSE_FROM_KXK 0.35

static sc_status ensure_dense_weights(sc_conv *op)
{
    if (op->dense_w) return SC_OK;
    const sc_layer *L = op->layer;
    float *w = NULL;
    sc_status st = sc_alloc_array((void **)&w, (size_t)sc_wdesc_numel(&L->wd), sizeof(float),
                                  false, "conv: dense weights");
    if (st == SC_OK) st = sc_layer_unpack(L, SC_OIHW, w);
    if (st == SC_OK) {
        op->dense_w = w;
        w = NULL;
    }
    sc_free(w);
    return st;
}

/* The plan proper, with the gate held: no run reads op meanwhile. */
static sc_status plan_gated(sc_conv *op, const sc_tensor *x, const sc_tensor *y)
{
    const sc_layer *L = op->layer;
    sc_status st = sc_conv_check(&L->params, &L->wd, x, y);
    if (st != SC_OK) return st;
    const double sparsity = 1.0 - (double)L->nnz / (double)sc_wdesc_numel(&L->wd);
    const sc_cpu_set allowed = sc_kernel_features(op->opt.kernel);
    sc_engine engine = op->opt.engine;
    int measure = 0;  /* auto: time both engines on this shape before choosing */
    char reason[256];
    if (engine == SC_ENGINE_SPARSE) {
        snprintf(reason, sizeof reason, "sparse engine forced by the options (sparsity %.3f)",
                 sparsity);
    } else if (engine == SC_ENGINE_DENSE) {
        snprintf(reason, sizeof reason, "dense engine forced by the options (sparsity %.3f)",
                 sparsity);
    } else if (L->wd.icg == 1 && L->params.groups > 1) {
        engine = SC_ENGINE_SPARSE;
        snprintf(reason, sizeof reason, "auto: one input channel per group (depthwise), where "
                 "the sparse kernels beat im2col + sgemm at any sparsity (here %.3f)", sparsity);
    } else {
        const int pointwise = L->wd.kh == 1 && L->wd.kw == 1;
        const double from = pointwise ? SC_AUTO_SPARSE_FROM_1X1 : SC_AUTO_SPARSE_FROM_KXK;
        engine = sparsity < from ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE;
        measure = op->opt.auto_mode == SC_AUTO_MEASURE;
        snprintf(reason, sizeof reason, "auto: sparsity %.3f is %s the measured sparse/dense "
                 "break-even of %.2f for %s layers, so %s", sparsity,
                 sparsity < from ? "below" : "at or above", from, pointwise ? "1x1" : "KxK",
                 sparsity < from ? "dense im2col + sgemm is faster" : "skipping zeros pays");
    }
    sc_sparse_plan sp;
    memset(&sp, 0, sizeof sp);
    if (engine == SC_ENGINE_SPARSE || measure) {
        sc_conv tmp = *op;  /* the plan builder reads the layer, bias and descriptors */
        tmp.x = *x;
        tmp.y = *y;
        st = sc_sparse_plan_build(&tmp, x, y, allowed, &sp);
        if (st == SC_EUNSUPPORTED && op->opt.engine == SC_ENGINE_AUTO) {
            engine = SC_ENGINE_DENSE;
            measure = 0;
            snprintf(reason, sizeof reason, "auto: %s; dense instead", sc_last_message());
            st = SC_OK;
        }
        if (st != SC_OK) return st;
    }
    if ((engine == SC_ENGINE_DENSE || measure) && (st = ensure_dense_weights(op)) != SC_OK) {
        sc_sparse_plan_clear(&sp);
        return st;
    }
    if (measure) {
        sc_conv s = *op, d;  /* shallow planned copies, run only inside the measurement */
        atomic_init(&s.gate, 0u);  /* op's gate is held by this plan; the copies run */
        s.sp = sp;
        s.x = *x;
        s.y = *y;
        s.planned = 1;
        s.engine = SC_ENGINE_SPARSE;
        d = s;
        d.engine = SC_ENGINE_DENSE;
        double ms_sparse, ms_dense, ms_waited;
        if ((st = sc_auto_measure(&s, &d, &ms_sparse, &ms_dense, &ms_waited)) != SC_OK) {
            sc_sparse_plan_clear(&sp);
            return st;
        }
        const char *rule = engine == SC_ENGINE_SPARSE ? "sparse" : "dense";
        engine = ms_sparse <= ms_dense ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE;
        char waited[80] = "";
        if (ms_waited >= 1)
            snprintf(waited, sizeof waited, "; waited %.0f ms for other threads to go idle",
                     ms_waited);
        snprintf(reason, sizeof reason, "auto: timed at plan: sparse %.3g ms, dense %.3g ms, so "
                 "%s (sparsity %.3f; the fixed thresholds would say %s%s)", ms_sparse, ms_dense,
                 engine == SC_ENGINE_SPARSE ? "sparse" : "dense", sparsity, rule, waited);
        if (engine == SC_ENGINE_DENSE) sc_sparse_plan_clear(&sp);
    }
    if (engine == SC_ENGINE_SPARSE && op->dense_w) {  /* not needed: give the memory back */
        sc_free(op->dense_w);
        op->dense_w = NULL;
    }
    sc_sparse_plan_clear(&op->sp);
    sc_scratch_release(op->scratch);  /* sized for the old shape */
    op->sp = sp;
    op->x = *x;
    op->y = *y;
    op->engine = engine;
    op->kernel_name = engine == SC_ENGINE_DENSE ? "dense_im2col_sgemm" : sp.kit.chain[0]->name;
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
