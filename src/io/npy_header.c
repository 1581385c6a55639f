/* src/io/npy_header.c: validate the .npy preamble and parse its Python dict header */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/npy_impl.h"

/* The header is a Python dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * The grammar accepted here is the subset NumPy and other writers produce:
 *     dict  = '{' ws [item (ws ',' ws item)* [ws ','] ] ws '}'
 *     item  = str ws ':' ws value
 *     str   = '...' or "..." of printable ASCII without backslashes
 *     descr = str | '[' ... ']'  (a structured dtype: parsed, then refused as unsupported)
 *     shape = '(' ws ')' | '(' ws int ws ',' ws ')' | '(' ws int (ws ',' ws int)+ [ws ','] ws ')'
 *     int   = '0' | [1-9][0-9]* ['L']      (the 'L' of Python 2 writers)
 *     ws    = (' ' | '\t')*
 * followed by spaces and the final '\n'. The syntax is checked in full before the values
 * are judged, so a broken header is SC_EFORMAT whatever it claims. */

typedef struct cursor {
    const char *begin, *p, *end;
} cursor;

static sc_status syntax(const cursor *c, const char *what)
{
    size_t at = (size_t)(c->p - c->begin);
    if (c->p >= c->end)
        return sc_fail(SC_EFORMAT, "npy: header dict syntax: expected %s, found the end of the "
                       "header (offset %zu)", what, at);
    unsigned char ch = (unsigned char)*c->p;
    if (ch >= 0x20 && ch < 0x7f)
        return sc_fail(SC_EFORMAT, "npy: header dict syntax: expected %s at header offset %zu, "
                       "found '%c'", what, at, ch);
    return sc_fail(SC_EFORMAT, "npy: header dict syntax: expected %s at header offset %zu, "
                   "found byte 0x%02x", what, at, ch);
}

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static bool accept(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool accept_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

/* A quoted string into out (NUL-terminated, at most cap - 1 characters). */
static sc_status parse_string(cursor *c, char *out, size_t cap, const char *what)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return syntax(c, what);
    char quote = *c->p++;
    size_t n = 0;
    for (; c->p < c->end && *c->p != quote; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20 || ch >= 0x7f) return syntax(c, "a plain ASCII string");
        if (n + 1 >= cap)
            return sc_fail(SC_EFORMAT, "npy: header: string longer than %zu characters at "
                           "header offset %zu", cap - 1, (size_t)(c->p - c->begin));
        out[n++] = (char)ch;
    }
    if (c->p >= c->end) return syntax(c, "a closing quote");
    c->p++;
    out[n] = '\0';
    return SC_OK;
}

static sc_status parse_int(cursor *c, int64_t *out)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == '-')
        return sc_fail(SC_EFORMAT, "npy: header: negative dimension at header offset %zu",
                       (size_t)(c->p - c->begin));
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return syntax(c, "a dimension");
    if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9')
        return syntax(c, "a dimension without leading zeros");
    int64_t v = 0;
    const char *start = c->p;
    for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
        if (sc_mul_ovf(v, 10, &v) || sc_add_ovf(v, *c->p - '0', &v))
            return sc_fail(SC_EOVERFLOW, "npy: header: dimension %.*s... does not fit int64",
                           (int)(c->p - start + 1), start);
    }
    if (c->p < c->end && *c->p == 'L') c->p++;
    *out = v;
    return SC_OK;
}

/* The shape tuple: the first SC_ARRAY_MAX_DIMS extents into h->shape, the rank (which
 * may exceed SC_ARRAY_MAX_DIMS, checked after the whole dict parsed) into *ndim. */
static sc_status parse_shape(cursor *c, sc_npy_header *h, int *ndim)
{
    if (!accept(c, '(')) {
        if (c->p < c->end && *c->p == '[')
            return sc_fail(SC_EFORMAT, "npy: header: 'shape' must be a tuple, not a list");
        return syntax(c, "'(' starting the shape tuple");
    }
    int n = 0;
    bool comma = false;  /* a comma followed the last dimension */
    int64_t first = 0;
    while (!accept(c, ')')) {
        if (n > 0 && !comma) return syntax(c, "',' or ')' in the shape tuple");
        int64_t d = 0;
        sc_status st = parse_int(c, &d);
        if (st != SC_OK) return st;
        if (n < SC_ARRAY_MAX_DIMS) h->shape[n] = d;
        if (n == 0) first = d;
        if (n < INT32_MAX) n++;
        comma = accept(c, ',');
    }
    if (n == 1 && !comma)
        return sc_fail(SC_EFORMAT, "npy: header: shape (%lld) is not a tuple: a 1-d shape is "
                       "written (%lld,)", (long long)first, (long long)first);
    *ndim = n;
    return SC_OK;
}

/* Supported dtypes: little-endian ('<'), native ('=', little on every supported target)
 * or byte-order-free ('|', which NumPy accepts as native) IEEE floats of 2, 4, 8 bytes. */
static sc_status check_descr(const char *d, sc_npy_header *h)
{
    bool order_ok = d[0] == '<' || d[0] == '=' || d[0] == '|';
    bool type_ok = d[0] != '\0' && d[1] == 'f' && d[2] != '\0' && d[3] == '\0' &&
                   (d[2] == '2' || d[2] == '4' || d[2] == '8');
    if (d[0] == '>' && type_ok)
        return sc_fail(SC_EUNSUPPORTED, "npy: dtype '%s' is big-endian; only little-endian "
                       "float16/32/64 are supported (convert with arr.astype('<f4'))", d);
    if (!order_ok || !type_ok)
        return sc_fail(SC_EUNSUPPORTED, "npy: dtype '%s' is not supported; expected "
                       "little-endian float16, float32 or float64 ('<f2', '<f4', '<f8')", d);
    h->itemsize = d[2] - '0';
    return SC_OK;
}

/* The 'descr' value: a string into d; a list (structured dtype) sets *structured. */
static sc_status parse_descr(cursor *c, char d[32], bool *structured)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == '[') {
        /* skip the list for the syntax check; its content is refused after the dict */
        int depth = 0;
        for (; c->p < c->end; c->p++) {
            unsigned char ch = (unsigned char)*c->p;
            if (ch < 0x20 || ch >= 0x7f) return syntax(c, "a plain ASCII structured dtype");
            depth += ch == '[' ? 1 : ch == ']' ? -1 : 0;
            if (depth == 0) break;
        }
        if (c->p >= c->end) return syntax(c, "']' closing the structured dtype");
        c->p++;
        *structured = true;
        return SC_OK;
    }
    return parse_string(c, d, 32, "the 'descr' string");
}

static sc_status parse_bool(cursor *c, bool *out)
{
    skip_ws(c);
    if (accept_word(c, "True")) *out = true;
    else if (accept_word(c, "False")) *out = false;
    else return syntax(c, "True or False for 'fortran_order'");
    return SC_OK;
}

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

/* The dict, its syntax checked completely before any value is judged, so a broken header
 * is always SC_EFORMAT whatever its values say. */
static sc_status parse_dict(cursor *c, sc_npy_header *h)
{
    static const char *const names[] = {"descr", "fortran_order", "shape"};
    unsigned seen = 0;
    char descr[32] = "";
    bool structured = false;
    int ndim = 0;
    if (!accept(c, '{')) return syntax(c, "'{' starting the header dict");
    bool comma = true;   /* an item may start here */
    while (!accept(c, '}')) {
        if (!comma) return syntax(c, "',' or '}' after a dict item");
        char key[32];
        sc_status st = parse_string(c, key, sizeof key, "a quoted key or '}'");
        if (st != SC_OK) return st;
        int k = 0;
        while (k < 3 && strcmp(key, names[k]) != 0) k++;
        if (k == 3)
            return sc_fail(SC_EFORMAT, "npy: header: unknown key '%s'; expected only 'descr', "
                           "'fortran_order' and 'shape'", key);
        if (seen & (1u << k)) return sc_fail(SC_EFORMAT, "npy: header: key '%s' repeated", key);
        seen |= 1u << k;
        if (!accept(c, ':')) return syntax(c, "':' after the key");
        st = k == 0 ? parse_descr(c, descr, &structured)
           : k == 1 ? parse_bool(c, &h->fortran_order)
                    : parse_shape(c, h, &ndim);
        if (st != SC_OK) return st;
        comma = accept(c, ',');
    }
    for (; c->p < c->end; c->p++)
        if (*c->p != ' ') return syntax(c, "only spaces after the header dict");
    for (int k = 0; k < 3; ++k)
        if (!(seen & (1u << k)))
            return sc_fail(SC_EFORMAT, "npy: header: key '%s' missing", names[k]);
    /* values */
    if (structured)
        return sc_fail(SC_EUNSUPPORTED, "npy: structured dtypes are not supported; "
                       "expected float16, float32 or float64");
    sc_status st = check_descr(descr, h);
    if (st != SC_OK) return st;
    if (ndim > SC_ARRAY_MAX_DIMS)
        return sc_fail(SC_EUNSUPPORTED, "npy: shape has %d dimensions; sconv arrays have "
                       "rank 0..%d", ndim, SC_ARRAY_MAX_DIMS);
    h->ndim = ndim;
    return SC_OK;
}

void sc_npy_format_shape(const int64_t *shape, int ndim, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < ndim && n < cap; ++i)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

static uint32_t load_le(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

sc_status sc_npy_header_parse(const unsigned char *buf, size_t len, sc_npy_header *out)
{
    sc_npy_header h;
    memset(&h, 0, sizeof h);
    const size_t magic_len = len < SC_NPY_MAGIC_LEN ? len : SC_NPY_MAGIC_LEN;
    if (magic_len > 0 && memcmp(buf, SC_NPY_MAGIC, magic_len) != 0) {  /* a prefix: truncated */
        const char *kind = sc_file_sniff(buf, len);  /* another format handed to this reader */
        if (kind)
            return sc_fail(SC_EFORMAT, "npy: not a .npy file: it starts like %s, not with "
                           "\\x93NUMPY", kind);
        return sc_fail(SC_EFORMAT, "npy: not a .npy file (bad magic): it does not start with "
                       "\\x93NUMPY");
    }
    if (len < 10)
        return sc_fail(SC_EFORMAT, "npy: truncated: %zu bytes, shorter than the 10-byte preamble",
                       len);
    int major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return sc_fail(SC_EUNSUPPORTED, "npy: format version %d.%d is not supported; expected "
                       "1.0, 2.0 or 3.0", major, minor);
    size_t pre = major == 1 ? 10 : 12;
    if (len < pre)
        return sc_fail(SC_EFORMAT, "npy: truncated: %zu bytes, shorter than the %zu-byte "
                       "version %d.0 preamble", len, pre, major);
    size_t hlen = load_le(buf + 8, major == 1 ? 2 : 4);
    if (hlen > len - pre)
        return sc_fail(SC_EFORMAT, "npy: header length %zu exceeds the %zu bytes after the "
                       "preamble (truncated file or corrupt length)", hlen, len - pre);
    if (hlen == 0 || buf[pre + hlen - 1] != '\n')
        return sc_fail(SC_EFORMAT, "npy: header of %zu bytes does not end with '\\n' (corrupt "
                       "header length or truncated header)", hlen);
    /* v1/v2 headers are latin-1, v3 utf-8: every valid header is ASCII, so the dict
     * parser rejects any other byte as a syntax error for all three. */
    cursor c = {(const char *)buf + pre, (const char *)buf + pre, (const char *)buf + pre + hlen - 1};
    sc_status st = parse_dict(&c, &h);
    if (st != SC_OK) return st;
    h.major = major;
    h.data_offset = pre + hlen;
    int64_t count = sc_checked_product(h.shape, h.ndim);
    int64_t bytes;
    if (count < 0 || sc_mul_ovf(count, h.itemsize, &bytes) || (uint64_t)bytes > SIZE_MAX) {
        char shape[SC_NPY_SHAPE_STR];
        sc_npy_format_shape(h.shape, h.ndim, shape, sizeof shape);
        return sc_fail(SC_EOVERFLOW, "npy: shape %s of %d-byte items overflows the "
                       "addressable size", shape, h.itemsize);
    }
    h.count = count;
    *out = h;
    return SC_OK;
}
