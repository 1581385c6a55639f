/* bench/util.c: waiting for idle workers, statistics, aligned buffers, threads, progress */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "core/core.h"

/* OpenBLAS (pthread or OpenMP build) exports this; declared here to avoid cblas.h. */
void openblas_set_num_threads(int num_threads);

void scb_stats(double *v, size_t n, double *median, double *min, double *max, double *sd)
{
    if (n == 0) {
        *median = *min = *max = *sd = NAN;
        return;
    }
    *median = sc_median(v, n);
    *min = v[0];
    *max = v[n - 1];
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    *sd = sqrt(ss / (double)n);
}

void *scb_alloc(size_t bytes)
{
    void *p = sc_aligned_alloc(64, bytes + 64);
    if (!p) {
        fprintf(stderr, "sconv-bench: cannot allocate %zu bytes\n", bytes + 64);
        exit(1);
    }
    memset(p, 0, bytes + 64);
    return p;
}

void scb_free(void *p)
{
    sc_free(p);
}

int scb_mkdirs(const char *dir)
{
    char buf[1024];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "sconv-bench: cannot create directory %s: %s\n", buf, strerror(errno));
            return -1;
        }
        buf[i] = c;
    }
    return 0;
}

int scb_mkdirs_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return scb_mkdirs(dir);
}

/* Worker threads of the peers' runtimes keep spinning after a call (OpenBLAS for 2^28 TSC
 * ticks, about 0.1 s, by default); with 2 threads on 2 cores a spinner left by one engine
 * steals a core from the next. Wait until, at two polls 0.2 ms apart, no other thread of
 * this process runs or waits for a CPU (every worker sleeps; the library's
 * sc_wait_others_idle, which reads /proc/self/task: the process CPU clock would see a
 * thread running on another CPU only at scheduler ticks, 4 ms apart); at most max_s
 * seconds, none without /proc. Returns the seconds waited. */
double scb_quiesce(double max_s)
{
    double waited = 0;
    sc_wait_others_idle(NULL, 0, max_s, &waited);
    return waited;
}

void scb_set_threads(int threads)
{
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
}

/* ---- progress bar on stderr, only when stderr is a terminal ---- */

void scb_progress_start(scb_progress *p, size_t total)
{
    p->enabled = isatty(STDERR_FILENO);
    p->done = 0;
    p->total = total;
    p->t0 = sc_now_s();
}

void scb_progress_update(scb_progress *p, const char *label)
{
    if (!p->enabled || p->total == 0) return;
    enum { WIDTH = 30 };
    double frac = (double)p->done / (double)p->total;
    int fill = (int)(frac * WIDTH);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    double el = sc_now_s() - p->t0;
    char eta[32] = "--";
    if (p->done > 0) {
        double rem = el / (double)p->done * (double)(p->total - p->done);
        snprintf(eta, sizeof eta, "%dm%02ds", (int)(rem / 60), (int)fmod(rem, 60));
    }
    fprintf(stderr, "\r\033[K[%s] %zu/%zu %4.0fs eta %s  %.60s", bar, p->done, p->total, el, eta,
            label ? label : "");
    fflush(stderr);
}

void scb_progress_finish(scb_progress *p)
{
    if (!p->enabled) return;
    fprintf(stderr, "\r\033[K%zu points in %.1f s\n", p->total, sc_now_s() - p->t0);
}
