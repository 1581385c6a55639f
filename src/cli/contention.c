/* src/cli/contention.c: whether sweep and demo timings can be trusted: the spread of each
 * operator's samples and the runnable threads of other processes, and the thread count */
#define _GNU_SOURCE  /* sched_getaffinity */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/core.h"

#define MAX_SAMPLES 64

void cli_times_summarize(const double *ms, int n, cli_times *out)
{
    double v[MAX_SAMPLES];
    if (n > MAX_SAMPLES) n = MAX_SAMPLES;
    if (n < 1) {
        *out = (cli_times){0, 0, 0};
        return;
    }
    memcpy(v, ms, (size_t)n * sizeof *v);
    const double median = sc_median(v, (size_t)n);
    *out = (cli_times){v[0], median, v[0] > 0 ? (median - v[0]) / v[0] : 0};
}

void cli_contention_init(cli_contention *c, int threads, int cores)
{
    *c = (cli_contention){.threads = threads, .cores = cores, .max_others = -1};
}

void cli_contention_add_times(cli_contention *c, const cli_times *t)
{
    ++c->n_times;
    c->n_spread += t->spread > CLI_SPREAD_LIMIT;
    if (t->spread > c->max_spread) c->max_spread = t->spread;
}

void cli_contention_add_load(cli_contention *c, int others)
{
    if (others < 0) return;
    ++c->n_load;
    c->n_busy += others + c->threads > c->cores;
    if (others > c->max_others) c->max_others = others;
}

/* A quarter, not one: a single timer interrupt or a short-lived process is not contention. */
bool cli_contention_verdict(const cli_contention *c)
{
    const bool spread = c->n_spread > 0 && 4 * c->n_spread >= c->n_times;
    const bool busy = c->n_busy > 0 && 4 * c->n_busy >= c->n_load;
    return spread || busy;
}

void cli_contention_describe(const cli_contention *c, char *buf, size_t cap)
{
    char load[160] = "the load of other processes is unknown";
    if (c->n_load > 0)
        snprintf(load, sizeof load, "other processes had up to %d runnable thread%s, too many "
                 "for %d core%s in %d of %d samples", c->max_others, c->max_others == 1 ? "" : "s",
                 c->cores, c->cores == 1 ? "" : "s", c->n_busy, c->n_load);
    const bool bad = cli_contention_verdict(c);
    snprintf(buf, cap, "timings %s: %s; %d of %d sample sets spread over %.0f%% (worst %.0f%%)%s",
             bad ? "CONTENDED" : "look clean", load, c->n_spread, c->n_times,
             100 * CLI_SPREAD_LIMIT, 100 * c->max_spread,
             bad ? ".\nThe times and speedups are not reliable: rerun on an idle machine." : ".");
}

void cli_contention_note(const cli_contention *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%d thread%s of %d core%s; %s", c->threads, c->threads == 1 ? "" : "s",
             c->cores, c->cores == 1 ? "" : "s", cli_contention_verdict(c)
             ? "timings CONTENDED (other work was running): not reliable" : "timings look clean");
}

/* Our own threads in state R, from /proc/self/task/<tid>/stat. */
static int own_running(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;  /* the thread has just ended */
        const char *close = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        fclose(f);
        n += close && close[1] == ' ' && close[2] == 'R';  /* "pid (comm) S ..." */
    }
    closedir(d);
    return n;
}

int cli_other_running(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    char line[256];
    long all = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "procs_running ", 14) == 0) all = strtol(line + 14, NULL, 10);
    fclose(f);
    const int own = own_running();
    if (all < 0 || own < 0) return -1;
    return all > own ? (int)(all - own) : 0;
}

int cli_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cli_resolve_threads(int requested)
{
    if (requested > 0) return requested;
    const char *env = getenv("OMP_NUM_THREADS");
    if (env) {
        char *end;
        const long n = strtol(env, &end, 10);
        if (end != env && (*end == '\0' || *end == ',') && n > 0 && n <= 1024) return (int)n;
    }
    return cli_cores();
}
