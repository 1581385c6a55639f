/* src/cli/progress.c: a progress bar on stderr for long work, only on a terminal */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/core.h"

#define BAR_WIDTH 30
#define SHOW_AFTER 1.0   /* seconds: quick work draws nothing */
#define REDRAW_EVERY 0.1 /* seconds */

void cli_progress_start(cli_progress *p, const char *label, int64_t total)
{
    *p = (cli_progress){.label = label, .total = total > 0 ? total : 1, .start = sc_now_s(),
                        .tty = isatty(STDERR_FILENO) == 1};
}

void cli_progress_update(cli_progress *p, int64_t done)
{
    if (!p->tty) return;
    const double now = sc_now_s();
    if (now - p->start < SHOW_AFTER || now - p->last_draw < REDRAW_EVERY) return;
    p->last_draw = now;
    if (done > p->total) done = p->total;
    const int fill = (int)(BAR_WIDTH * done / p->total);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; ++i) bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %5.1f s", p->label, bar, (int)(100 * done / p->total),
            now - p->start);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->tty && p->last_draw > 0) {
        fputs("\r\033[K", stderr);  /* erase the line */
        fflush(stderr);
    }
    p->last_draw = 0;
}
