/* src/sparse/ukernels/spmm_table.c: the planner's table of SpMM kernels and its pick, from the lists */
#include "sparse/ukernels/spmm.h"

#include <assert.h>

#include "core/core.h"

const sc_spmm_info sc_spmm_table[] = {
#define SC_SPMM(name, need, mr, partial, rows, role) {#name + 3, need, mr, partial, name, rows, role},
#include "sparse/ukernels/spmm_rows.inc"
#include "sparse/ukernels/spmm_blocks.inc"
#undef SC_SPMM
    {NULL, 0, 0, 0, NULL, 0, SC_TILE_CHAIN}
};

const sc_spmm_info *sc_spmm_find(sc_cpu_set need, size_t mr, size_t rows)
{
    for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k)
        if (k->need == need && k->mr == mr && k->rows == rows) return k;
    return NULL;
}

/* The first kernel of this role, width and rows whose needs `allowed` covers, or NULL. */
static const sc_spmm_info *first_fit(sc_cpu_set allowed, sc_tile_role role, size_t mr,
                                     size_t rows)
{
    for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k)
        if (k->role == role && k->mr == mr && k->rows == rows && sc_cpu_set_has(allowed, k->need))
            return k;
    return NULL;
}

/* The first kernel of this role and rows that needs exactly `need`, or NULL. */
static const sc_spmm_info *same_need(sc_cpu_set need, sc_tile_role role, size_t rows)
{
    for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k)
        if (k->role == role && k->rows == rows && k->need == need) return k;
    return NULL;
}

sc_spmm_kit sc_spmm_kit_pick(sc_cpu_set allowed, size_t rows)
{
    sc_spmm_kit kit = {{NULL}, 0, NULL, NULL};
    /* the chain's widths, widest first: each width of the lists once */
    size_t widths[SC_SPMM_CHAIN_MAX];
    int n = 0;
    for (const sc_spmm_info *k = sc_spmm_table; k->fn; ++k) {
        if (k->role != SC_TILE_CHAIN || k->rows != rows) continue;
        int i = 0;
        while (i < n && widths[i] > k->mr) ++i;
        if (i < n && widths[i] == k->mr) continue;
        assert(n < SC_SPMM_CHAIN_MAX);
        for (int j = n++; j > i; --j) widths[j] = widths[j - 1];
        widths[i] = k->mr;
    }
    /* a partial kernel takes any rest: narrower widths would never be called */
    for (int i = 0; i < n && (kit.n_chain == 0 || kit.chain[kit.n_chain - 1]->partial != 1);
         ++i) {
        const sc_spmm_info *k = first_fit(allowed, SC_TILE_CHAIN, widths[i], rows);
        if (k) kit.chain[kit.n_chain++] = k;
    }
    assert(kit.n_chain > 0 && kit.chain[kit.n_chain - 1]->partial == 1);
    kit.shrt = same_need(kit.chain[0]->need, SC_TILE_SHORT, rows);
    kit.lng = same_need(kit.chain[0]->need, SC_TILE_LONG, rows);
    return kit;
}

sc_spmm_kit sc_spmm_kit_split(int avx512)
{
    static const sc_spmm_info split[2] = {
        {"spmm_split_f32_128__ref", 0, 128, 1, sc_spmm_split_f32_128__ref, 1, SC_TILE_CHAIN},
        {"spmm_split_f32_128__avx512", SC_CPU_X86_AVX512, 128, 1, sc_spmm_split_f32_128__avx512,
         1, SC_TILE_CHAIN}};
    return (sc_spmm_kit){{&split[avx512 != 0]}, 1, NULL, NULL};
}

int sc_isa_available(sc_isa isa)
{
    return sc_cpu_set_has(sc_cpu_features(), sc_isa_features(isa));
}
