/* src/sparse/write_output.c: store a finished output tile through y's descriptor */
#include <string.h>

#include "core/core.h"
#include "sparse/sparse_plan.h"

/* y[o0 + o][oh][ow] = buf[o][q - q0] for the flat pixels q = oh*wq + ow in [q0, q0 + m)
 * with ow < OW, row by row (the whole tile at once when rows have no discarded columns
 * and follow each other in y): unit-stride pixels take memcpy per channel, unit-stride
 * channels (NHWC) a transposed store per pixel, anything else element by element. */
void sc_write_output_tile(const sc_sparse_plan *sp, const float *buf, int64_t q0, int64_t m,
                          int64_t o0, int64_t nb, float *y)
{
    const int64_t wq = sp->d.wq, OW = sp->y.dims[SC_W], TF = sp->d.tile_floats;
    const int64_t sC = sp->y.strides[SC_C], sH = sp->y.strides[SC_H], sW = sp->y.strides[SC_W];
    /* pixel q then sits at q * sW: a 28x28 NHWC tile is one run of 64 pixels instead of
     * rows of 28 (whose last 4 pixels went element by element) */
    const int flat = wq == OW && sH == OW * sW;
    float *yb = y + o0 * sC;
    for (int64_t q = q0; q < q0 + m;) {
        const int64_t oh = q / wq, ow = q % wq;
        int64_t n = flat ? q0 + m - q : wq - ow;  /* pixels left in this run */
        if (n > q0 + m - q) n = q0 + m - q;
        const int64_t nv = flat ? n : ow >= OW ? 0 : (ow + n > OW ? OW - ow : n);
        const float *b = buf + (q - q0);
        float *yr = yb + oh * sH + ow * sW;
        if (nv > 0) {
            if (sW == 1) {
                for (int64_t o = 0; o < nb; ++o)
                    memcpy(yr + o * sC, b + o * TF, (size_t)nv * sizeof *b);
            } else if (sC == 1) {
                /* 8 channels x 8 pixels at a time: 32-byte runs on both sides. Pixels go in
                 * chunks of 16, all channels within a chunk, so the 16 pixel rows of y being
                 * filled stay in L1 until their cache lines are whole (docs/kernels.md,
                 * "NHWC transposition in chunks") */
                const int64_t nb8 = nb / 8 * 8, i8 = nv / 8 * 8;
                for (int64_t i0 = 0; i0 < i8; i0 += 16) {
                    const int64_t blocks = i8 - i0 >= 16 ? 2 : 1;
                    for (int64_t o = 0; o < nb8; o += 8)
                        sp->from_tile(b + o * TF + i0, (size_t)TF, yr + i0 * sW + o,
                                         (size_t)sW, (size_t)blocks);
                }
                if (i8 < nv && nv >= 8) {
                    /* the last 8 pixels as one block, overlapping pixels stored already
                     * (same values): no element-by-element rest */
                    for (int64_t o = 0; o < nb8; o += 8)
                        sp->from_tile(b + o * TF + nv - 8, (size_t)TF, yr + (nv - 8) * sW + o,
                                         (size_t)sW, 1);
                } else {
                    for (int64_t o = 0; o < nb8; o += 8)
                        for (int64_t i = i8; i < nv; ++i)
                            for (int l = 0; l < 8; ++l) yr[i * sW + o + l] = b[(o + l) * TF + i];
                }
                for (int64_t o = nb8; o < nb; ++o)
                    for (int64_t i = 0; i < nv; ++i) yr[i * sW + o] = b[o * TF + i];
            } else {
                for (int64_t o = 0; o < nb; ++o)
                    for (int64_t i = 0; i < nv; ++i) yr[o * sC + i * sW] = b[o * TF + i];
            }
        }
        q += n;
    }
}
