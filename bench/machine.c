/* bench/machine.c: what the benchmark ran on: CPU model, core count, library versions */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <suitesparse/cs.h>

#include "bench.h"

#ifndef SCB_BUILD
#define SCB_BUILD "unknown build type"
#endif

char *openblas_get_config(void);

void scb_cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        size_t len = strcspn(colon, "\n");
        /* commas would need quoting in the CSV column; the model never needs them */
        snprintf(buf, cap, "%.*s", (int)len, colon);
        for (char *c = buf; *c; c++)
            if (*c == ',') *c = ' ';
        break;
    }
    fclose(f);
}

int scb_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

double scb_load_average(void)
{
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return l;
    if (fscanf(f, "%lf", &l) != 1) l = NAN;
    fclose(f);
    return l;
}

/* Version of an installed Debian package, or "?" (dpkg-query). */
void scb_deb_version(const char *pkg, char *buf, size_t cap)
{
    char cmd[256];
    snprintf(buf, cap, "?");
    snprintf(cmd, sizeof cmd, "dpkg-query -W -f='${Version}' %s 2>/dev/null", pkg);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (fgets(buf, (int)cap, p) == NULL || buf[0] == '\0') snprintf(buf, cap, "?");
    buf[strcspn(buf, "\n")] = '\0';
    pclose(p);
}

void scb_library_versions(FILE *f, const char *prefix)
{
    char a[160], b[64];
    fprintf(f, "%ssconv %s\n", prefix, sc_version());
    scb_onednn_version(a, sizeof a);
    fprintf(f, "%soneDNN %s\n", prefix, a);
    scb_xnnpack_version(a, sizeof a);
    fprintf(f, "%sXNNPACK %s\n", prefix, a);
    scb_deb_version("libopenblas0-pthread", b, sizeof b);
    if (strcmp(b, "?") == 0) scb_deb_version("libopenblas0", b, sizeof b);
    fprintf(f, "%s%s (Debian package %s)", prefix, openblas_get_config(), b);
    const char *was = getenv("SCONV_BLAS_CORE_WAS");
    if (was && getenv("OPENBLAS_CORETYPE"))
        fprintf(f, "; kernels %s by OPENBLAS_CORETYPE, set by sconv-bench because this "
                   "OpenBLAS does not know the CPU and had chosen generic %s kernels",
                sc_blas_core(), was);
    else if (sc_blas_core_suggestion())
        fprintf(f, "; **generic %s kernels on this CPU: the openblas and dense rows are slow** "
                   "(OPENBLAS_CORETYPE=%s fixes it)", sc_blas_core(), sc_blas_core_suggestion());
    const char *spin = getenv("OPENBLAS_THREAD_TIMEOUT");
    if (spin)
        fprintf(f, "; idle workers spin 2^%s TSC ticks (OPENBLAS_THREAD_TIMEOUT%s)", spin,
                getenv("SCONV_BENCH_SET_SPIN") ? ", set by sconv-bench" : "");
    fprintf(f, "\n");
    scb_deb_version("libcxsparse3", b, sizeof b);
    fprintf(f, "%sCXSparse %d.%d.%d (%s; Debian package %s)\n", prefix, CS_VER, CS_SUBVER,
            CS_SUBSUB, CS_DATE, b);
    fprintf(f, "%sgcc %s, OpenMP %d (libgomp); sconv and sconv-bench built with meson %s\n",
            prefix, __VERSION__, _OPENMP, SCB_BUILD);
}
