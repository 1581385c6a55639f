/* src/sparse/run_sparse.c: a forward sparse run: the shared SpMM driver on the plan's problem */
#include "sparse/sparse_plan.h"

int sc_sparse_thread_count(const sc_sparse_plan *sp)
{
    return sc_spmm_thread_count(sp->d.threads);
}

sc_status sc_sparse_run(const sc_sparse_plan *sp, const float *x, float *y)
{
    return sc_spmm_drive(&sp->d, sp, x, y);
}
