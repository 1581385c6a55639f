/* src/sparse/run_sparse.c: a forward sparse run: the direct depthwise path or the shared SpMM driver */
#include "sparse/sparse_plan.h"

int sc_sparse_thread_count(const sc_sparse_plan *sp)
{
    return sc_spmm_thread_count(sp->d.threads);
}

const char *sc_sparse_kernel_name(const sc_sparse_plan *sp)
{
    return sp->dw.kern ? sp->dw.kern->name : sp->d.kit.chain[0]->name;
}

sc_status sc_sparse_run(const sc_sparse_plan *sp, const float *x, float *y)
{
    if (sp->dw.kern) return sc_dw_run(&sp->dw, x, y);
    return sc_spmm_drive(&sp->d, sp, x, y);
}
