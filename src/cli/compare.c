/* src/cli/compare.c: error between an output and its reference, in double precision */
#include <math.h>

#include "cli/cli.h"

void cli_compare(const sc_tensor *yd, const float *y, const sc_tensor *rd, const float *ref,
                 cli_diff *out)
{
    double max_abs = 0, ref_max = 0, d2 = 0, r2 = 0;
    bool nonfinite = false;
    for (int64_t n = 0; n < yd->dims[SC_N]; ++n)
        for (int64_t c = 0; c < yd->dims[SC_C]; ++c)
            for (int64_t h = 0; h < yd->dims[SC_H]; ++h)
                for (int64_t w = 0; w < yd->dims[SC_W]; ++w) {
                    const double a = y[sc_tensor_offset(yd, n, c, h, w)];
                    const double b = ref[sc_tensor_offset(rd, n, c, h, w)];
                    const double d = fabs(a - b);
                    if (!isfinite(a) || !isfinite(b)) nonfinite = true;
                    if (d > max_abs) max_abs = d;
                    if (fabs(b) > ref_max) ref_max = fabs(b);
                    d2 += d * d;
                    r2 += b * b;
                }
    *out = (cli_diff){.max_abs = max_abs, .ref_max = ref_max};
    /* An all-zero reference: any difference is total. NaN/Inf anywhere fails every check. */
    out->rel = ref_max > 0 ? max_abs / ref_max : (max_abs > 0 ? INFINITY : 0.0);
    out->l2_rel = r2 > 0 ? sqrt(d2 / r2) : (d2 > 0 ? INFINITY : 0.0);
    if (nonfinite) out->rel = out->l2_rel = out->max_abs = NAN;
}
