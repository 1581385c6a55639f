/* src/layer/csr_transpose.c: the column-compressed form of a packed layer, via cs_dl_transpose */
#include <string.h>

#include "core/core.h"
#include "layer/csr_cs.h"

void sc_csc_release(sc_csc *c)
{
    if (!c) return;
    sc_free(c->col_ptr);
    sc_free(c->row_idx);
    sc_free(c->val);
    memset(c, 0, sizeof *c);
}

/* Our CSR of W (rows x cols) is, array for array, the CSC of W^T (cols x rows); its
 * CSparse transpose is the CSC of W. */
sc_status sc_layer_transpose_csc(const sc_layer *l, sc_csc *out)
{
    if (!l || !out) return sc_fail(SC_EINVAL, "layer transpose: NULL argument");
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    sc_csc c = {.rows = v.rows, .cols = v.cols, .nnz = v.nnz};
    cs_dl *wt = NULL, *w = NULL;
    sc_status st = sc_alloc_array((void **)&c.col_ptr, (size_t)v.cols + 1, sizeof *c.col_ptr,
                                  false, "CSC column pointers");
    if (st == SC_OK)
        st = sc_alloc_array((void **)&c.row_idx, (size_t)v.nnz, sizeof *c.row_idx, false,
                            "CSC row indices");
    if (st == SC_OK)
        st = sc_alloc_array((void **)&c.val, (size_t)v.nnz, sizeof *c.val, false, "CSC values");
    if (st != SC_OK) goto done;
    wt = cs_dl_spalloc(v.cols, v.rows, v.nnz, 1, 0);
    if (!wt) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot allocate W^T", l->name);
        goto done;
    }
    for (int64_t r = 0; r <= v.rows; ++r) wt->p[r] = v.row_ptr[r];
    for (int64_t j = 0; j < v.nnz; ++j) {
        wt->i[j] = sc_csr_col(&v, j);
        wt->x[j] = v.val[j];
    }
    w = cs_dl_transpose(wt, 1);
    if (!w) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot transpose", l->name);
        goto done;
    }
    for (int64_t k = 0; k <= v.cols; ++k) c.col_ptr[k] = w->p[k];
    for (int64_t j = 0; j < v.nnz; ++j) {
        c.row_idx[j] = w->i[j];
        c.val[j] = (float)w->x[j];  /* exact: the doubles came from floats */
    }
    *out = c;
    c = (sc_csc){0};
done:
    cs_dl_spfree(wt);
    cs_dl_spfree(w);
    sc_csc_release(&c);
    return st;
}
