/* src/sparse/ukernels/spmm_table.c: the planner's table of SpMM kernels, from spmm_list.inc */
#include "sparse/ukernels/spmm.h"

#include "core/core.h"

const sc_spmm_info sc_spmm_table[] = {
#define SC_SPMM(name, isa, mr, partial, rows) {#name + 3, isa, mr, partial, name, rows},
#include "sparse/ukernels/spmm_list.inc"
#undef SC_SPMM
    {NULL, SC_ISA_NONE, 0, 0, NULL, 0}
};

const sc_spmm_info *sc_spmm_find_rows(sc_isa isa, size_t mr, size_t rows)
{
    for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k)
        if (k->isa == isa && k->mr == mr && k->rows == rows) return k;
    return NULL;
}

const sc_spmm_info *sc_spmm_find(sc_isa isa, size_t mr)
{
    return sc_spmm_find_rows(isa, mr, 1);
}

const sc_spmm_info *sc_spmm_pick(sc_isa isa, size_t mr, size_t rows)
{
    for (int i = (int)isa; i >= (int)SC_ISA_NONE; --i) {
        const sc_spmm_info *k = sc_spmm_find_rows((sc_isa)i, mr, rows);
        if (k) return k;
    }
    return NULL;
}

int sc_isa_available(sc_isa isa)
{
    return (unsigned)isa <= (unsigned)sc_cpu_isa();
}
