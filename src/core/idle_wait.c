/* src/core/idle_wait.c: wait until no other thread of this process is running (Linux /proc) */
#define _GNU_SOURCE
#include <time.h>

#include "core/core.h"

#if defined(__linux__)
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int sc_thread_id(void)
{
    return (int)syscall(SYS_gettid);
}

static bool is_own(long tid, const int *own, int n_own)
{
    for (int i = 0; i < n_own; ++i)
        if (own[i] == tid) return true;
    return false;
}

/* Threads of this process, other than the caller and `own`, that are running or waiting
 * for a CPU (state R in /proc/self/task/<tid>/stat); -1 when /proc cannot be read. */
static int foreign_running(const int *own, int n_own)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return -1;
    const long self = sc_thread_id();
    int running = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char *end;
        const long tid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || tid <= 0 || tid == self || is_own(tid, own, n_own)) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
        FILE *f = fopen(path, "r");
        if (!f) continue;  /* the thread ended meanwhile */
        const size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "tid (comm) S ...": the state follows the last ')'; comm may hold anything */
        const char *paren = strrchr(buf, ')');
        if (paren && paren[1] == ' ' && paren[2] == 'R') running++;
    }
    closedir(dir);
    return running;
}
#else
int sc_thread_id(void)
{
    return -1;
}

static int foreign_running(const int *own, int n_own)
{
    (void)own;
    (void)n_own;
    return -1;
}
#endif

sc_idle sc_wait_others_idle(const int *own, int n_own, double max_s, double *waited_s)
{
    const double start = sc_now_s();
    sc_idle result = SC_IDLE_TIMEOUT;
    for (int quiet_polls = 0;;) {
        const int running = foreign_running(own, n_own);
        if (running < 0) {
            result = SC_IDLE_UNKNOWN;
            break;
        }
        quiet_polls = running == 0 ? quiet_polls + 1 : 0;
        if (quiet_polls == 2) {  /* one quiet poll can fall between two yields of a spinner */
            result = SC_IDLE_QUIET;
            break;
        }
        if (sc_now_s() - start >= max_s) break;
        const struct timespec step = {0, 200000};
        nanosleep(&step, NULL);
    }
    if (waited_s) *waited_s = sc_now_s() - start;
    return result;
}
