/* tests/dense/test_onednn_isa.c: SCONV_ISA caps oneDNN's kernels too, unless the user set oneDNN's own cap */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <oneapi/dnnl/dnnl.h>

#include "common/layer.h"
#include "core/core.h"
#include "dense_util.h"

/* The level oneDNN must stay within in this process (meson runs this binary once per
 * environment): ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA when the user set one, else the one
 * SCONV_ISA names; lowered to what the CPU runs, the CPU's own when neither is a level. */
static sc_isa onednn_level(void)
{
    const sc_isa hw = sc_cpu_isa_hw();
    const char *user = getenv("ONEDNN_MAX_CPU_ISA");
    if (!user || !*user) user = getenv("DNNL_MAX_CPU_ISA");
    const char *env = user && *user ? user : getenv("SCONV_ISA");
    sc_isa want = hw;
    if (env && (strcasecmp(env, "portable") == 0 || strcasecmp(env, "sse41") == 0))
        want = SC_ISA_NONE;
    if (env && strcasecmp(env, "avx2") == 0) want = SC_ISA_AVX2;
    return want < hw ? want : hw;
}

/* The kernel a dense plan of a 3x3 NHWC layer names: oneDNN has a direct kernel for these
 * strides on any AVX2 CPU, so its implementation name shows the ISA it dispatched to. */
static void dense_kernel(char *kernel, size_t cap)
{
    const sc_wdesc wd = {SC_OIHW, 32, 32, 3, 3};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    ct_rng r = {5};
    float *w = ct_float_buf(&r, 32 * 32 * 9);
    const sc_tensor xd = sc_tensor_nhwc(1, 32, 14, 14), yd = sc_tensor_nhwc(1, 32, 14, 14);
    dense_kernel_of(&p, &wd, w, &xd, &yd, kernel, cap);
    free(w);
}

static void log_env(const char *kernel)
{
    const char *names[] = {"SCONV_ISA", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"};
    for (int i = 0; i < 3; ++i)
        cr_log_info("%s=%s", names[i], getenv(names[i]) ? getenv(names[i]) : "(unset)");
    cr_log_info("CPU %s, oneDNN cap the environment asks %s, kernel %s", sc_isa_name(sc_cpu_isa_hw()),
                sc_isa_name(onednn_level()), kernel);
}

/* Below AVX-512 no AVX-512 implementation, below AVX2 no AVX2 one either (oneDNN's SSE4.1
 * kernels, or the im2col fallback); from AVX2 up oneDNN still takes the layer. */
Test(onednn_isa, no_implementation_above_the_cap)
{
    char kernel[64];
    dense_kernel(kernel, sizeof kernel);
    log_env(kernel);
    const sc_isa level = onednn_level();
    if (level >= SC_ISA_AVX2)
        cr_expect(strncmp(kernel, "dense_onednn:", 13) == 0, "oneDNN did not take it: %s",
                  kernel);
    if (level < SC_ISA_AVX512)
        cr_expect(!strstr(kernel, "avx512"), "level %s, yet %s", sc_isa_name(level), kernel);
    if (level < SC_ISA_AVX2)
        cr_expect(!strstr(kernel, "avx2"), "level %s, yet %s", sc_isa_name(level), kernel);
}

/* Uncapped (or the user's own oneDNN cap at AVX-512) on an AVX-512 CPU, oneDNN names an
 * AVX-512 implementation: the check above is not passing because oneDNN never uses one. */
Test(onednn_isa, avx512_implementation_when_uncapped)
{
    if (sc_cpu_isa_hw() < SC_ISA_AVX512)
        cr_skip_test("this CPU lacks AVX-512: the uncapped half cannot run here");
    if (onednn_level() < SC_ISA_AVX512)
        cr_skip_test("this run caps oneDNN below AVX-512: the uncapped half runs in the "
                     "process without SCONV_ISA (dense_isa)");
    char kernel[64];
    dense_kernel(kernel, sizeof kernel);
    log_env(kernel);
    cr_expect(strncmp(kernel, "dense_onednn:", 13) == 0 && strstr(kernel, "avx512"),
              "AVX-512 CPU, uncapped, yet %s", kernel);
}

/* The caller used oneDNN first (Criterion runs each test in a process of its own), so
 * oneDNN's level is fixed and refuses the cap: the plan still succeeds, on oneDNN's own
 * level (the CPU's, without the user's cap). */
Test(onednn_isa, a_refused_cap_leaves_onednn_as_it_is)
{
    const dnnl_cpu_isa_t before = dnnl_get_effective_cpu_isa();  /* fixes oneDNN's level */
    char kernel[64];
    dense_kernel(kernel, sizeof kernel);
    log_env(kernel);
    cr_expect_eq(dnnl_get_effective_cpu_isa(), before, "oneDNN's level changed after use");
    const bool user = getenv("ONEDNN_MAX_CPU_ISA") || getenv("DNNL_MAX_CPU_ISA");
    if (sc_cpu_isa_hw() == SC_ISA_AVX512 && !user)
        cr_expect(strstr(kernel, "avx512"), "the cap was refused, yet %s", kernel);
    if (sc_cpu_isa_hw() >= SC_ISA_AVX2 && !user)
        cr_expect(strncmp(kernel, "dense_onednn:", 13) == 0, "%s", kernel);
}
