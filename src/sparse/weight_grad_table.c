/* src/sparse/weight_grad_table.c: the table of weight-gradient dot kernels and its pick, from weight_grad_list.inc */
#include "sparse/weight_grad_kernels.h"

#include <assert.h>

const sc_wgrad_dot_info sc_wgrad_dot_table[] = {
#define SC_WGRAD_DOT(name, need) {#name + 3, need, name},
#include "sparse/weight_grad_list.inc"
#undef SC_WGRAD_DOT
    {NULL, 0, NULL}
};

sc_wgrad_dot_fn sc_wgrad_dot_pick(sc_cpu_set allowed)
{
    for (const sc_wgrad_dot_info *k = sc_wgrad_dot_table; k->fn; ++k)
        if (sc_cpu_set_has(allowed, k->need)) return k->fn;
    assert(0 && "the list ends with a portable kernel");
    return NULL;
}
