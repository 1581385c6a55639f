/* src/sparse/plan.c: sc_conv_plan: validate, choose sparse or dense, build the chosen plan */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sparse/conv_impl.h"
#include "sparse/layer_impl.h"

/* Auto engine: sparse from this sparsity up. PERFORMANCE.md measured the break-even of an
 * AVX2 CSR kernel against oneDNN's best layout at 50-56% sparsity (1x1 layers, 1 and 2
 * threads); the dense fallback here is OpenBLAS im2col (62-80 GFLOP/s there, below oneDNN),
 * so the upper end of that range is a safe crossover until bench/ refines it. */
#define SC_AUTO_SPARSE_FROM 0.55

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

sc_status sc_conv_plan(sc_conv *op, const sc_tensor *x, const sc_tensor *y)
{
    if (!op || !x || !y) return sc_fail(SC_EINVAL, "conv_plan: op, x and y must not be NULL");
    const sc_layer *L = op->layer;
    sc_status st = sc_conv_check(&L->params, &L->wd, x, y);
    if (st != SC_OK) return st;
    const double sparsity = 1.0 - (double)L->nnz / (double)sc_wdesc_numel(&L->wd);
    const int use_avx2 = op->opt.kernel == SC_KERNEL_AVX2 ||
                         (op->opt.kernel == SC_KERNEL_AUTO && sc_cpu_has_avx2_fma());
    sc_engine engine = op->opt.engine;
    char reason[256];
    if (engine == SC_ENGINE_SPARSE) {
        snprintf(reason, sizeof reason, "sparse engine forced by the options (sparsity %.3f)",
                 sparsity);
    } else if (engine == SC_ENGINE_DENSE) {
        snprintf(reason, sizeof reason, "dense engine forced by the options (sparsity %.3f)",
                 sparsity);
    } else if (sparsity < SC_AUTO_SPARSE_FROM) {
        engine = SC_ENGINE_DENSE;
        snprintf(reason, sizeof reason, "auto: sparsity %.3f is below the measured sparse/dense "
                 "break-even of %.2f, so dense im2col + sgemm is faster", sparsity,
                 SC_AUTO_SPARSE_FROM);
    } else {
        engine = SC_ENGINE_SPARSE;
        snprintf(reason, sizeof reason, "auto: sparsity %.3f is at or above the measured "
                 "sparse/dense break-even of %.2f, so skipping zeros pays", sparsity,
                 SC_AUTO_SPARSE_FROM);
    }
    sc_sparse_plan sp;
    memset(&sp, 0, sizeof sp);
    if (engine == SC_ENGINE_SPARSE) {
        sc_conv tmp = *op;  /* the plan builder reads the layer, bias and descriptors */
        tmp.x = *x;
        tmp.y = *y;
        st = sc_sparse_plan_build(&tmp, x, y, use_avx2, &sp);
        if (st == SC_EUNSUPPORTED && op->opt.engine == SC_ENGINE_AUTO) {
            engine = SC_ENGINE_DENSE;
            snprintf(reason, sizeof reason, "auto: %s; dense instead", sc_last_message());
            st = SC_OK;
        }
        if (st != SC_OK) return st;
    }
    if (engine == SC_ENGINE_DENSE && (st = ensure_dense_weights(op)) != SC_OK) {
        sc_sparse_plan_clear(&sp);
        return st;
    }
    sc_sparse_plan_clear(&op->sp);
    op->sp = sp;
    op->x = *x;
    op->y = *y;
    op->engine = engine;
    op->kernel_name = engine == SC_ENGINE_DENSE ? "dense_im2col_sgemm" : sp.kern[0]->name;
    memcpy(op->reason, reason, sizeof reason);
    op->planned = 1;
    return SC_OK;
}
