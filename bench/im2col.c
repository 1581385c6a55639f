/* bench/im2col.c: lower one image and group of a convolution input to a matrix (for the peers) */
#include "im2col.h"

int scb_is_pointwise(const scb_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* col[k][p], k = (i*KH + kh)*KW + kw over the group's icg channels, p = oh*OW + ow. */
void scb_im2col_chw(const scb_point *pt, int64_t n, int64_t g, float *col)
{
    const scb_shape *s = pt->shape;
    const int64_t icg = s->cin / s->groups, OH = pt->oh, OW = pt->ow, P = OH * OW;
    const int64_t H = s->h, W = s->w;
    const float *x = pt->x + n * s->cin * H * W + g * icg * H * W;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < icg; i++)
        for (int64_t kh = 0; kh < s->kh; kh++)
            for (int64_t kw = 0; kw < s->kw; kw++) {
                float *row = col + ((i * s->kh + kh) * s->kw + kw) * P;
                const float *plane = x + i * H * W;
                for (int64_t oh = 0; oh < OH; oh++) {
                    int64_t ih = oh * s->stride - s->pad + kh * s->dil;
                    for (int64_t ow = 0; ow < OW; ow++) {
                        int64_t iw = ow * s->stride - s->pad + kw * s->dil;
                        row[oh * OW + ow] = ih >= 0 && ih < H && iw >= 0 && iw < W
                                                ? plane[ih * W + iw] : 0.0f;
                    }
                }
            }
}

/* col[p][k], k = (kh*KW + kw)*icg + i, from NHWC input: each (p, kh, kw) copies icg
 * consecutive channels. */
void scb_im2col_hwc(const scb_point *pt, int64_t n, int64_t g, float *col)
{
    const scb_shape *s = pt->shape;
    const int64_t icg = s->cin / s->groups, C = s->cin, OH = pt->oh, OW = pt->ow;
    const int64_t H = s->h, W = s->w, K = s->kh * s->kw * icg;
    const float *x = pt->x + n * H * W * C + g * icg;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++) {
            float *row = col + (oh * OW + ow) * K;
            for (int64_t kh = 0; kh < s->kh; kh++) {
                int64_t ih = oh * s->stride - s->pad + kh * s->dil;
                for (int64_t kw = 0; kw < s->kw; kw++) {
                    int64_t iw = ow * s->stride - s->pad + kw * s->dil;
                    float *dst = row + (kh * s->kw + kw) * icg;
                    if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                        const float *src = x + (ih * W + iw) * C;
                        for (int64_t i = 0; i < icg; i++) dst[i] = src[i];
                    } else {
                        for (int64_t i = 0; i < icg; i++) dst[i] = 0.0f;
                    }
                }
            }
        }
}
