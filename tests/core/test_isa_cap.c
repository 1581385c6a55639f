/* tests/core/test_isa_cap.c: the CPU's features and level, and the SCONV_ISA cap on them */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

static const char *const flag_names[6] = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq",
                                          "avx512vl"};
static const sc_cpu_set flag_bits[6] = {SC_CPU_AVX2, SC_CPU_FMA, SC_CPU_AVX512F, SC_CPU_AVX512BW,
                                        SC_CPU_AVX512DQ, SC_CPU_AVX512VL};

/* The features the kernel reports for this CPU (its cpuinfo flags), -1 where it cannot be
 * read. */
static int64_t cpuinfo_features(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int64_t set = -1;
    while (set < 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        set = 0;
        for (char *tok = strtok(strchr(line, ':') + 1, " \n"); tok; tok = strtok(NULL, " \n"))
            for (int i = 0; i < 6; ++i)
                if (strcmp(tok, flag_names[i]) == 0) set |= flag_bits[i];
    }
    fclose(f);
    return set;
}

/* The level the kernel reports for this CPU (its cpuinfo flags), -1 where it cannot be read. */
static int cpuinfo_level(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int level = -1;
    while (level < 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        int has[6] = {0};
        static const char *const want[6] = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq",
                                            "avx512vl"};
        for (char *tok = strtok(strchr(line, ':') + 1, " \n"); tok; tok = strtok(NULL, " \n"))
            for (int i = 0; i < 6; ++i) has[i] |= strcmp(tok, want[i]) == 0;
        level = !(has[0] && has[1]) ? 0 : has[2] && has[3] && has[4] && has[5] ? 2 : 1;
    }
    fclose(f);
    return level;
}

Test(isa_cap, the_cpu_level_agrees_with_cpuinfo)
{
    const int level = cpuinfo_level();
#if defined(__x86_64__)
    cr_assert_geq(level, 0, "/proc/cpuinfo has no flags line");
    cr_expect_eq((int)sc_cpu_isa_hw(), level, "cpuid says %s, cpuinfo level %d",
                 sc_isa_name(sc_cpu_isa_hw()), level);
#else
    cr_expect_eq(sc_cpu_isa_hw(), SC_ISA_NONE, "no x86 kernels elsewhere");
#endif
}

Test(isa_cap, the_cpu_features_agree_with_cpuinfo)
{
#if defined(__x86_64__)
    const int64_t want = cpuinfo_features();
    cr_assert_geq(want, 0, "/proc/cpuinfo has no flags line");
    cr_expect_eq((int64_t)sc_cpu_features_hw(), want, "cpuid gives %#x, cpuinfo %#llx",
                 (unsigned)sc_cpu_features_hw(), (unsigned long long)want);
#else
    cr_expect_eq(sc_cpu_features_hw() & SC_CPU_X86_AVX512, 0u, "no x86 features elsewhere");
#endif
}

/* Sets, not an order: a level needs all its features, a set outside x86 is no level but
 * portable, and the cap keeps only the named level's features of any set. */
Test(isa_cap, features_are_sets_and_the_cap_intersects)
{
    cr_expect(sc_cpu_set_has(SC_CPU_X86_AVX512, SC_CPU_X86_AVX2));
    cr_expect(!sc_cpu_set_has(SC_CPU_X86_AVX2, SC_CPU_X86_AVX512));
    cr_expect(sc_cpu_set_has(SC_CPU_NEON, 0));
    cr_expect(!sc_cpu_set_has(SC_CPU_NEON | SC_CPU_SVE, SC_CPU_AVX2));
    cr_expect_eq(sc_isa_of(0), SC_ISA_NONE);
    cr_expect_eq(sc_isa_of(SC_CPU_AVX2), SC_ISA_NONE, "AVX2 without FMA");
    cr_expect_eq(sc_isa_of(SC_CPU_X86_AVX2 | SC_CPU_AVX512F), SC_ISA_AVX2, "F without BW/DQ/VL");
    cr_expect_eq(sc_isa_of(SC_CPU_X86_AVX512 & ~SC_CPU_FMA), SC_ISA_NONE, "AVX-512 without FMA");
    cr_expect_eq(sc_isa_of(SC_CPU_X86_AVX512 | SC_CPU_NEON), SC_ISA_AVX512);
    cr_expect_eq(sc_isa_of(SC_CPU_NEON | SC_CPU_SVE), SC_ISA_NONE);
    for (int l = SC_ISA_NONE; l <= SC_ISA_AVX512; ++l)
        cr_expect_eq(sc_isa_of(sc_isa_features((sc_isa)l)), (sc_isa)l, "%s", sc_isa_name((sc_isa)l));
    const sc_cpu_set odd = SC_CPU_X86_AVX2 | SC_CPU_AVX512F | SC_CPU_NEON;
    cr_expect_eq(sc_cpu_features_cap("portable", odd), 0u);
    cr_expect_eq(sc_cpu_features_cap("avx2", odd), SC_CPU_X86_AVX2);
    cr_expect_eq(sc_cpu_features_cap("AVX512", odd), SC_CPU_X86_AVX2 | SC_CPU_AVX512F);
    cr_expect_eq(sc_cpu_features_cap("avx2", SC_CPU_NEON), 0u);
    cr_expect_eq(sc_cpu_features_cap("neon", odd), odd, "not a level: no cap");
    cr_expect_eq(sc_cpu_features_cap(NULL, odd), odd);
}

/* Every text against every CPU level, the expected level written out by hand. */
Test(isa_cap, names_cap_at_the_cpu_and_anything_else_is_ignored)
{
    static const struct { const char *text; sc_isa on_none, on_avx2, on_avx512; } cases[] = {
        {"portable", SC_ISA_NONE, SC_ISA_NONE, SC_ISA_NONE},
        {"avx2", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX2},
        {"avx512", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
        {"AVX2", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX2},       /* any case */
        {"Portable", SC_ISA_NONE, SC_ISA_NONE, SC_ISA_NONE},
        {NULL, SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},       /* unset: no cap */
        {"", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
        {"avx-2", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},    /* not a level: no cap */
        {"avx512f", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
        {" avx2", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
        {"sse4", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
        {"avx2\n", SC_ISA_NONE, SC_ISA_AVX2, SC_ISA_AVX512},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const sc_isa want[3] = {cases[i].on_none, cases[i].on_avx2, cases[i].on_avx512};
        for (int hw = SC_ISA_NONE; hw <= SC_ISA_AVX512; ++hw)
            cr_expect_eq(sc_isa_cap(cases[i].text, (sc_isa)hw), want[hw],
                         "SCONV_ISA=\"%s\" on a %s CPU: %s, want %s",
                         cases[i].text ? cases[i].text : "(unset)", sc_isa_name((sc_isa)hw),
                         sc_isa_name(sc_isa_cap(cases[i].text, (sc_isa)hw)),
                         sc_isa_name(want[hw]));
    }
    cr_expect_str_eq(sc_isa_name(SC_ISA_NONE), "portable");
    cr_expect_str_eq(sc_isa_name(SC_ISA_AVX2), "avx2");
    cr_expect_str_eq(sc_isa_name(SC_ISA_AVX512), "avx512");
    cr_expect_str_eq(sc_isa_name((sc_isa)7), "unknown");
}

/* This process's level is the CPU's, lowered to whatever level SCONV_ISA names. The suites
 * run once per level: a value the library ignores would test the wrong kernels, so a set
 * value must name a level. */
Test(isa_cap, the_process_level_follows_the_environment)
{
    const char *env = getenv("SCONV_ISA");
    if (env && *env)
        cr_expect(strcasecmp(env, "portable") == 0 || strcasecmp(env, "avx2") == 0 ||
                      strcasecmp(env, "avx512") == 0,
                  "SCONV_ISA=%s is not a level: the library ignores it and runs its best", env);
    const sc_isa hw = sc_cpu_isa_hw();
    sc_isa want = hw;
    if (env && strcasecmp(env, "portable") == 0) want = SC_ISA_NONE;
    if (env && strcasecmp(env, "avx2") == 0 && hw > SC_ISA_AVX2) want = SC_ISA_AVX2;
    cr_expect_eq(sc_cpu_isa(), want, "SCONV_ISA=%s on a %s CPU gave %s", env ? env : "(unset)",
                 sc_isa_name(hw), sc_isa_name(sc_cpu_isa()));
    cr_expect_eq(sc_cpu_has_avx2_fma(), want >= SC_ISA_AVX2);
    cr_expect_eq(sc_cpu_has_avx512(), want >= SC_ISA_AVX512);
    cr_expect_eq(sc_cpu_isa(), want, "read once: the second call agrees");
    cr_expect_eq(sc_cpu_features(), sc_cpu_features_cap(env, sc_cpu_features_hw()));
}
