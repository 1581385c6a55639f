/* bench/dump.c: --dump DIR: writes each point's weights, input and expected output as .npy, and a manifest */
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "sconv/npy.h"

static void make_stem(const scb_point *pt, char *stem, size_t cap)
{
    snprintf(stem, cap, "%s_s%g_%s", pt->shape->name, pt->sparsity, scb_layout_name(pt->layout));
    for (char *c = stem; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            *c = '_';
}

static int write_npy(const char *dir, const char *stem, const char *what, int ndim,
                     const int64_t *shape, const float *data)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s_%s.npy", dir, stem, what);
    sc_status st = sc_npy_write(path, ndim, shape, data);
    if (st != SC_OK) {
        fprintf(stderr, "sconv-bench: --dump: %s: %s\n", sc_strerror(st), sc_last_message());
        return -1;
    }
    return 0;
}

/* The extents of a dense activation in its memory order: NCHW or NHWC. */
static void layout_shape(const scb_point *pt, const sc_tensor *t, int64_t *shape)
{
    const int64_t n = t->dims[SC_N], c = t->dims[SC_C], h = t->dims[SC_H], w = t->dims[SC_W];
    const int64_t nchw[4] = {n, c, h, w}, nhwc[4] = {n, h, w, c};
    memcpy(shape, pt->layout == SCB_NHWC ? nhwc : nchw, sizeof nchw);
}

int scb_dump_point(const char *dir, const scb_point *pt, const float *ref, char *stem_out,
                   size_t cap)
{
    make_stem(pt, stem_out, cap);
    const int64_t wshape[4] = {pt->wd.oc, pt->wd.icg, pt->wd.kh, pt->wd.kw};
    int64_t xshape[4], yshape[4];
    layout_shape(pt, &pt->xd, xshape);
    layout_shape(pt, &pt->yd, yshape);
    const size_t ny = (size_t)(yshape[0] * yshape[1] * yshape[2] * yshape[3]);
    float *y = scb_alloc(ny * sizeof(float));
    /* the reference is NCHW; the engines' outputs are in the point's layout */
    const sc_tensor ref_d = sc_tensor_nchw(pt->yd.dims[SC_N], pt->yd.dims[SC_C],
                                           pt->yd.dims[SC_H], pt->yd.dims[SC_W]);
    sc_tensor_copy(&ref_d, ref, &pt->yd, y);
    int rc = write_npy(dir, stem_out, "w", 4, wshape, pt->w);
    if (rc == 0) rc = write_npy(dir, stem_out, "x", 4, xshape, pt->x);
    if (rc == 0) rc = write_npy(dir, stem_out, "y", 4, yshape, y);
    scb_free(y);
    return rc;
}

/* s as a JSON string body: quotes, backslashes and control characters escaped */
static void json_text(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') n += (size_t)snprintf(out + n, cap - n, "\\%c", c);
        else if (c < 0x20) n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        else out[n++] = (char)c;
    }
    out[n] = '\0';
}

void scb_dump_manifest_line(FILE *f, const scb_point *pt, const char *stem)
{
    const scb_shape *s = pt->shape;
    char name[400], set[200], method[200];
    json_text(s->name, name, sizeof name);
    json_text(s->set, set, sizeof set);
    json_text(pt->method, method, sizeof method);
    /* stems hold only [A-Za-z0-9._-] (make_stem) */
    fprintf(f, "{\"layer\": \"%s\", \"set\": \"%s\", \"cin\": %lld, \"cout\": %lld, \"h\": %lld, "
               "\"w\": %lld, \"kh\": %lld, \"kw\": %lld, \"stride\": %lld, \"pad\": %lld, "
               "\"dilation\": %lld, \"groups\": %lld, \"batch\": %lld, \"oh\": %lld, "
               "\"ow\": %lld, \"layout\": \"%s\", \"threads\": %d, \"sparsity\": %.10g, "
               "\"method\": \"%s\", \"nnz\": %lld, \"bias\": false, "
               "\"weights\": \"%s_w.npy\", \"input\": \"%s_x.npy\", \"expected\": \"%s_y.npy\"}\n",
            name, set, (long long)s->cin, (long long)s->cout, (long long)s->h,
            (long long)s->w, (long long)s->kh, (long long)s->kw, (long long)s->stride,
            (long long)s->pad, (long long)s->dil, (long long)s->groups, (long long)pt->batch,
            (long long)pt->oh, (long long)pt->ow, scb_layout_name(pt->layout), pt->threads,
            pt->sparsity, method, (long long)pt->nnz, stem, stem, stem);
    fflush(f);
}
