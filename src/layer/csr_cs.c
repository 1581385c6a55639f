/* src/layer/csr_cs.c: assemble a layer's matrix with CXSparse from triplets; check ours with it */
#include "core/core.h"
#include "layer/csr_cs.h"

sc_status sc_layer_to_cs(const sc_layer *l, cs_dl **out)
{
    if (!l || !out) return sc_fail(SC_EINVAL, "layer to CSparse: NULL argument");
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    sc_status st = SC_OK;
    cs_dl *a = NULL, *t = cs_dl_spalloc(v.rows, v.cols, v.nnz, 1, 1);  /* triplet form */
    if (!t) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot allocate %lld triplets", l->name,
                     (long long)v.nnz);
        goto done;
    }
    for (int64_t r = 0; r < v.rows; ++r)
        for (int64_t j = v.row_ptr[r]; j < v.row_ptr[r + 1]; ++j)
            if (!cs_dl_entry(t, r, sc_csr_col(&v, j), (double)v.val[j])) {
                st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot add a triplet", l->name);
                goto done;
            }
    a = cs_dl_compress(t);
    if (!a) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot compress %lld triplets", l->name,
                     (long long)v.nnz);
        goto done;
    }
    const cs_long_t before = a->p[a->n];
    if (!cs_dl_dupl(a)) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot check duplicates", l->name);
        goto done;
    }
    if (a->p[a->n] != before) {
        st = sc_fail(SC_EFORMAT, "layer '%s': %lld of %lld nonzeros share a position with "
                     "another", l->name, (long long)(before - a->p[a->n]), (long long)before);
        goto done;
    }
    *out = a;
    a = NULL;
done:
    cs_dl_spfree(t);
    cs_dl_spfree(a);
    return st;
}

sc_status sc_layer_check_cs(const sc_layer *l)
{
    if (!l) return sc_fail(SC_EINVAL, "layer CSparse check: NULL argument");
    cs_dl *a = NULL, *at = NULL;
    sc_status st = sc_layer_to_cs(l, &a);
    if (st != SC_OK) return st;
    at = cs_dl_transpose(a, 1);  /* CSC of W^T = CSR of W, indices sorted */
    if (!at) {
        st = sc_fail(SC_ENOMEM, "layer '%s': CSparse cannot transpose", l->name);
        goto done;
    }
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    for (int64_t r = 0; r <= v.rows && st == SC_OK; ++r)
        if (at->p[r] != v.row_ptr[r])
            st = sc_fail(SC_EFORMAT, "layer '%s': row pointer %lld is %lld, CSparse says %lld",
                         l->name, (long long)r, (long long)v.row_ptr[r], (long long)at->p[r]);
    for (int64_t j = 0; j < v.nnz && st == SC_OK; ++j)
        if (at->i[j] != sc_csr_col(&v, j) || at->x[j] != (double)v.val[j])
            st = sc_fail(SC_EFORMAT, "layer '%s': nonzero %lld is (col %lld, %g), CSparse says "
                         "(col %lld, %g)", l->name, (long long)j, (long long)sc_csr_col(&v, j),
                         (double)v.val[j], (long long)at->i[j], at->x[j]);
done:
    cs_dl_spfree(a);
    cs_dl_spfree(at);
    return st;
}
