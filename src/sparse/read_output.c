/* src/sparse/read_output.c: load a tile of y's previous contents into a tile buffer (residual accumulation) */
#include <string.h>

#include "core/core.h"
#include "sparse/sparse_plan.h"

/* buf[o][q - q0] = y[o0 + o][oh][ow] for the flat pixels q = oh*wq + ow in [q0, q0 + m),
 * 0 for garbage columns ow >= OW: the inverse of sc_write_output_tile, walked the same way
 * (row segments, or the whole tile when rows have no discarded columns and follow each other
 * in y). Unit-stride pixels take memcpy per channel, unit-stride channels (NHWC) strips of
 * 8x8 transposes, anything else element by element. */
void sc_read_output_tile(const sc_sparse_plan *sp, float *buf, int64_t q0, int64_t m,
                         int64_t o0, int64_t nb, const float *y)
{
    const int64_t wq = sp->d.wq, OW = sp->y.dims[SC_W], TF = sp->d.tile_floats;
    const int64_t sC = sp->y.strides[SC_C], sH = sp->y.strides[SC_H], sW = sp->y.strides[SC_W];
    const int flat = wq == OW && sH == OW * sW;
    const float *yb = y + o0 * sC;
    for (int64_t q = q0; q < q0 + m;) {
        const int64_t oh = q / wq, ow = q % wq;
        int64_t n = flat ? q0 + m - q : wq - ow;  /* pixels left in this run */
        if (n > q0 + m - q) n = q0 + m - q;
        const int64_t nv = flat ? n : ow >= OW ? 0 : (ow + n > OW ? OW - ow : n);
        float *b = buf + (q - q0);
        const float *yr = yb + oh * sH + ow * sW;
        for (int64_t o = 0; nv < n && o < nb; ++o)  /* garbage columns */
            memset(b + o * TF + nv, 0, (size_t)(n - nv) * sizeof *b);
        if (nv > 0) {
            if (sW == 1) {
                for (int64_t o = 0; o < nb; ++o)
                    memcpy(b + o * TF, yr + o * sC, (size_t)nv * sizeof *b);
            } else if (sC == 1) {
                /* 8 pixels x 8n channels per strip call; the rest element by element */
                const int64_t nb8 = nb / 8 * 8, i8 = nv / 8 * 8;
                for (int64_t i = 0; nb8 > 0 && i < i8; i += 8)
                    sp->to_panel(yr + i * sW, (size_t)sW, b + i, (size_t)TF, (size_t)(nb8 / 8));
                for (int64_t i = i8; i < nv; ++i)
                    for (int64_t o = 0; o < nb8; ++o) b[o * TF + i] = yr[i * sW + o];
                for (int64_t o = nb8; o < nb; ++o)
                    for (int64_t i = 0; i < nv; ++i) b[o * TF + i] = yr[i * sW + o];
            } else {
                for (int64_t o = 0; o < nb; ++o)
                    for (int64_t i = 0; i < nv; ++i) b[o * TF + i] = yr[o * sC + i * sW];
            }
        }
        q += n;
    }
}
