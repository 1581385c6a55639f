/* src/dense/clamp.c: the activation applied in place through y's descriptor, after oneDNN */
#include <omp.h>

#include "dense/dense_impl.h"

/* y = act(y) by the library's one rule (sc_epilogue_clamp_f32, core/epilogue.h). Per
 * element, so any thread split gives the same bits. */
void sc_dense_clamp(const sc_dense_plan *pl, float *y)
{
    const int64_t *ys = pl->ys;
    const int64_t planes = pl->nb * pl->oc, oc = pl->oc, oh = pl->oh, ow = pl->ow;
    const int nt = pl->threads > 0 ? pl->threads : omp_get_max_threads();
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t nc = 0; nc < planes; ++nc) {
        float *plane = y + (nc / oc) * ys[SC_N] + (nc % oc) * ys[SC_C];
        for (int64_t h = 0; h < oh; ++h)
            for (int64_t w = 0; w < ow; ++w) {
                float *e = plane + h * ys[SC_H] + w * ys[SC_W];
                *e = sc_epilogue_clamp_f32(&pl->ep, *e);
            }
    }
}
