/* tests/common/compare.c: outputs against a reference: scaled tolerance, bitwise equality */
#include "common/compare.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t ct_first_outside(const float *got, const float *ref, const float *scale, int64_t n,
                         double rel, double abs)
{
    for (int64_t i = 0; i < n; ++i) {
        const double tol = rel * (double)scale[i] + abs;
        if (!(fabs((double)got[i] - (double)ref[i]) <= tol)) return i;  /* NaN fails */
    }
    return -1;
}

int64_t ct_first_bitwise_diff(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; ++i)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0) return i;
    return -1;
}

int ct_check_runs(const char *what, int64_t len, const float *ref, const float *scale,
                  const float *y1, const float *y2)
{
    for (int64_t i = 0; i < len; ++i) {
        if (scale[i] < 0) {
            if (y1[i] != CT_UNSET || y2[i] != CT_UNSET) {
                cr_log_error("%s: element %lld outside the output view was written", what,
                             (long long)i);
                return 1;
            }
            continue;
        }
        if (ct_first_outside(&y1[i], &ref[i], &scale[i], 1, 1e-5, 1e-6) == 0) {
            cr_log_error("%s: out[%lld] = %.9g, reference %.9g (scale %g)", what, (long long)i,
                         (double)y1[i], (double)ref[i], (double)scale[i]);
            return 1;
        }
        if (ct_first_bitwise_diff(&y1[i], &y2[i], 1) == 0) {
            cr_log_error("%s: 1 and 2 threads differ at %lld: %.9g vs %.9g", what, (long long)i,
                         (double)y1[i], (double)y2[i]);
            return 1;
        }
    }
    return 0;
}

void ct_abs_reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                      const float *bias, const sc_tensor *xd, const float *x,
                      const sc_tensor *yd, float *scale)
{
    const int64_t nx = sc_tensor_span(xd), nw = sc_wdesc_numel(wd);
    float *ax = malloc((size_t)nx * sizeof *ax), *aw = malloc((size_t)nw * sizeof *aw);
    float *ab = malloc((size_t)wd->oc * sizeof *ab);
    cr_assert(ax && aw && ab);
    for (int64_t i = 0; i < nx; ++i) ax[i] = fabsf(x[i]);
    for (int64_t i = 0; i < nw; ++i) aw[i] = fabsf(w[i]);
    for (int64_t i = 0; i < wd->oc; ++i) ab[i] = bias ? fabsf(bias[i]) : 0.0f;
    cr_assert_eq(sc_conv_reference(p, wd, aw, ab, NULL, xd, ax, yd, scale), SC_OK, "%s",
                 sc_last_message());
    free(ax);
    free(aw);
    free(ab);
}
