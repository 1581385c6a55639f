/* src/cli/suggest.c: the known names closest to a mistyped command or option ("did you mean") */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

#define MAX_LEN 64  /* longer words are not typos of our names */

/* Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
 * characters as one each (optimal string alignment), ignoring case. */
static size_t distance(const char *a, size_t m, const char *b, size_t n)
{
    size_t d[MAX_LEN + 1][MAX_LEN + 1];
    for (size_t i = 0; i <= m; ++i) d[i][0] = i;
    for (size_t j = 0; j <= n; ++j) d[0][j] = j;
    for (size_t i = 1; i <= m; ++i)
        for (size_t j = 1; j <= n; ++j) {
            const int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[m][n];
}

/* How many leading characters name shares with typed[0..len), ignoring case. */
static size_t common_start(const char *typed, size_t len, const char *name)
{
    size_t k = 0;
    while (k < len && name[k] && tolower((unsigned char)typed[k]) == tolower((unsigned char)name[k]))
        ++k;
    return k;
}

bool cli_suggest(const char *typed, size_t len, const char *(*name_of)(const void *, int),
                 const void *items, int n, const char *prefix, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (len == 0 || len > MAX_LEN) return false;
    size_t best = MAX_LEN;
    for (int i = 0; i < n; ++i) {
        const char *name = name_of(items, i);
        const size_t nl = strlen(name);
        if (nl <= MAX_LEN) {
            const size_t dist = distance(typed, len, name, nl);
            if (dist < best) best = dist;
        }
    }
    const size_t limit = len / 2 < 2 ? len / 2 : 2;
    const bool close = best <= limit;
    size_t start = 0;  /* ties go to the names sharing the longest start with what was typed */
    for (int i = 0; close && i < n; ++i) {
        const char *name = name_of(items, i);
        const size_t nl = strlen(name);
        if (nl <= MAX_LEN && distance(typed, len, name, nl) == best &&
            common_start(typed, len, name) > start)
            start = common_start(typed, len, name);
    }
    size_t used = 0;
    int shown = 0;
    for (int i = 0; i < n && shown < 3; ++i) {
        const char *name = name_of(items, i);
        const size_t nl = strlen(name);
        const bool pick = close ? nl <= MAX_LEN && distance(typed, len, name, nl) == best &&
                                      common_start(typed, len, name) == start
                                : len >= 2 && nl > len && strncasecmp(name, typed, len) == 0;
        if (!pick) continue;
        used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s'%s%s'",
                                 shown ? " or " : "", prefix, name);
        if (used >= cap) {  /* too long to show: no suggestion rather than a cut one */
            buf[0] = '\0';
            return false;
        }
        ++shown;
    }
    return shown > 0;
}
