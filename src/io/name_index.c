/* src/io/name_index.c: names sorted once, for duplicate checks and look-ups in O(n log n) */
#include <stdlib.h>
#include <string.h>

#include "io/name_index.h"

static int by_name(const void *a, const void *b)
{
    const sc_name_ref *x = a, *y = b;
    const int c = strcmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

void sc_names_sort(sc_name_ref *r, size_t n)
{
    if (n > 1) qsort(r, n, sizeof *r, by_name);
}

int sc_names_first_repeat(const sc_name_ref *r, size_t n, size_t *first, size_t *second)
{
    int found = 0;
    for (size_t k = 1; k < n; ++k) {
        /* within a run of equal names positions ascend: the run's first two are the pair */
        if (strcmp(r[k - 1].name, r[k].name) || (k > 1 && !strcmp(r[k - 2].name, r[k].name)))
            continue;
        if (!found || r[k].i < *second) {
            *first = r[k - 1].i;
            *second = r[k].i;
            found = 1;
        }
    }
    return found;
}

/* strcmp order between the len bytes at key (no NUL among them) and the string s: when the
 * first len bytes agree, s is equal or longer. */
static int cmp_key(const char *key, size_t len, const char *s)
{
    const int c = strncmp(key, s, len);
    return c ? c : -(s[len] != '\0');
}

size_t sc_names_find(const sc_name_ref *r, size_t n, const char *key, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {  /* first entry not below key */
        const size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(key, len, r[mid].name) > 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && cmp_key(key, len, r[lo].name) == 0 ? r[lo].i : n;
}
