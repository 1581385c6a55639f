/* tests/io/test_sconv_names.c: files with many layer names: duplicates found and names matched in O(n log n) */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/name_index.h"
#include "layer/layer_impl.h"
#include "sconv.h"

/* Enough names that a pairwise check (n^2 / 2 = 2e10 comparisons) cannot finish within the
 * suite's timeout, while sorting them takes a fraction of a second. */
#define MANY_NAMES 200000
/* Layers with tensors (3 each), every one matched to its layer by name. */
#define MANY_LAYERS 3000

/* n layers "layer000000".. of 1 -> 1 channel, 1x1, with bias. */
static void tiny_layers(size_t n, sc_layer **out)
{
    const sc_wdesc wd = {SC_OIHW, 1, 1, 1, 1};
    const float w = 0.5f, b = 0.25f;
    for (size_t i = 0; i < n; ++i) {
        char name[32];
        snprintf(name, sizeof name, "layer%06zu", i);
        sc_pack_options opt = sc_pack_options_default();
        opt.name = name;
        opt.bias = &b;
        out[i] = NULL;
        cr_assert_eq(sc_layer_pack(&wd, &w, NULL, &opt, &out[i]), SC_OK, "%s",
                     sc_last_message());
    }
}

typedef struct blob {
    uint8_t *b;
    size_t len;
} blob;

static blob file_of(sc_layer *const *layers, size_t n)
{
    char dir[] = "/tmp/sconv-names-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.sconv", dir);
    cr_assert_eq(sc_file_write(path, (const sc_layer *const *)layers, n), SC_OK, "%s",
                 sc_last_message());
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    blob r = {NULL, (size_t)ftell(f)};
    fseek(f, 0, SEEK_SET);
    r.b = malloc(r.len);
    cr_assert_eq(fread(r.b, 1, r.len, f), r.len);
    fclose(f);
    remove(path);
    rmdir(dir);
    return r;
}

/* f with its metadata "layers" replaced by the JSON text `layers` (header re-padded to 8). */
static blob with_layers(const blob *f, const char *layers)
{
    size_t hl = 0;
    for (int i = 7; i >= 0; --i) hl = (hl << 8) | f->b[i];
    json_error_t e;
    json_t *h = json_loadb((const char *)f->b + 8, hl, 0, &e);
    cr_assert_not_null(h, "%s", e.text);
    json_object_set_new(json_object_get(h, "__metadata__"), "layers", json_string(layers));
    char *text = json_dumps(h, JSON_COMPACT);
    const size_t tl = strlen(text), padded = (tl + 7) / 8 * 8, dl = f->len - 8 - hl;
    blob r = {malloc(8 + padded + dl), 8 + padded + dl};
    for (int i = 0; i < 8; ++i) r.b[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(r.b + 8, text, tl);
    memset(r.b + 8 + tl, ' ', padded - tl);
    memcpy(r.b + 8 + padded, f->b + 8 + hl, dl);
    free(text);
    json_decref(h);
    return r;
}

/* A JSON array of "layer000000" .. n - 1, then "layer<dup>" again when dup >= 0. */
static char *names_json(size_t n, int dup)
{
    char *list = malloc(n * 14 + 16), *p = list;
    *p++ = '[';
    for (size_t i = 0; i < n; ++i) p += sprintf(p, "%s\"layer%06zu\"", i ? "," : "", i);
    if (dup >= 0) p += sprintf(p, ",\"layer%06d\"", dup);
    strcpy(p, "]");
    return list;
}

Test(sconv_names, index_matches_whole_names_only)
{
    /* "a" is a prefix of "ab" and "a.b"; keys are tensor-name prefixes, not strings */
    const char *const names[] = {"ab", "a.b", "b", "a", "a.b", "ab"};
    sc_name_ref r[6];
    for (size_t i = 0; i < 6; ++i) r[i] = (sc_name_ref){names[i], i};
    sc_names_sort(r, 4);
    cr_expect_eq(sc_names_find(r, 4, "a.values", 1), 3);
    cr_expect_eq(sc_names_find(r, 4, "ab.values", 2), 0);
    cr_expect_eq(sc_names_find(r, 4, "a.b.bias", 3), 1);
    cr_expect_eq(sc_names_find(r, 4, "b", 1), 2);
    cr_expect_eq(sc_names_find(r, 4, "abc", 3), 4, "absent");
    cr_expect_eq(sc_names_find(r, 4, "", 0), 4, "the empty prefix is no name");
    size_t a = 99, b = 99;
    cr_expect_eq(sc_names_first_repeat(r, 4, &a, &b), 0);
    sc_names_sort(r, 6);  /* "a.b" at 1 and 4, "ab" at 0 and 5: a scan meets 4 first */
    cr_expect_eq(sc_names_first_repeat(r, 6, &a, &b), 1);
    cr_expect(a == 1 && b == 4, "repeat (%zu, %zu), want (1, 4)", a, b);
}

Test(sconv_names, late_duplicate_among_many_names_is_refused, .timeout = 60)
{
    sc_layer *l[1];
    tiny_layers(1, l);
    blob f = file_of(l, 1);
    sc_layer_destroy(l[0]);
    /* layer000000 (the file's layer), then distinct names, then entry 123 again */
    char *list = names_json(MANY_NAMES, 123);
    blob g = with_layers(&f, list);
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_parse(g.b, g.len, &all, &n), SC_EFORMAT, "%s", sc_last_message());
    char want[128];
    snprintf(want, sizeof want, "layer name 'layer000123' appears twice (entries 123 and %d)",
             MANY_NAMES);
    cr_expect(strstr(sc_last_message(), want), "message '%s' lacks '%s'", sc_last_message(),
              want);
    cr_expect_null(all);
    /* without the repeat the names pass; the second layer's tensors are missing */
    free(list);
    list = names_json(MANY_NAMES, -1);
    blob h = with_layers(&f, list);
    cr_assert_neq(sc_file_parse(h.b, h.len, &all, &n), SC_OK);
    cr_expect(strstr(sc_last_message(), "layer000001"), "%s", sc_last_message());
    cr_expect_null(strstr(sc_last_message(), "twice"), "%s", sc_last_message());
    free(list);
    free(f.b);
    free(g.b);
    free(h.b);
}

Test(sconv_names, many_layers_write_and_load, .timeout = 60)
{
    sc_layer **l = malloc(MANY_LAYERS * sizeof *l);
    tiny_layers(MANY_LAYERS, l);
    blob f = file_of(l, MANY_LAYERS);
    sc_layer **all = NULL;
    size_t n = 0;
    cr_assert_eq(sc_file_parse(f.b, f.len, &all, &n), SC_OK, "%s", sc_last_message());
    cr_assert_eq(n, MANY_LAYERS);
    for (size_t i = 0; i < n; ++i)
        cr_assert_str_eq(all[i]->name, l[i]->name);
    sc_layers_destroy(all, n);
    /* the writer refuses a repeated name, naming both positions */
    sc_layer *keep = l[MANY_LAYERS - 1];
    l[MANY_LAYERS - 1] = l[7];
    cr_expect_eq(sc_file_write("/nonexistent-dir/m.sconv", (const sc_layer *const *)l,
                               MANY_LAYERS), SC_EINVAL);
    char want[96];
    snprintf(want, sizeof want, "layers 7 and %d are both named 'layer000007'", MANY_LAYERS - 1);
    cr_expect(strstr(sc_last_message(), want), "message '%s' lacks '%s'", sc_last_message(),
              want);
    l[MANY_LAYERS - 1] = keep;
    for (size_t i = 0; i < MANY_LAYERS; ++i) sc_layer_destroy(l[i]);
    free(l);
    free(f.b);
}
