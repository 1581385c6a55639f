/* src/io/file_sniff.c: name the format a file's first bytes look like, for "not a X file" */
#include <string.h>

#include "io/file_util.h"
#include "io/sconv_format.h"

typedef struct sniff_magic {
    const char *magic;
    size_t len;
    const char *what;
} sniff_magic;

/* Formats a user may hand to the wrong reader: arrays, models and checkpoints. */
static const sniff_magic magics[] = {
    {"\x93NUMPY", 6, "a .npy array"},
    {"PK\x03\x04", 4, "a zip archive (.npz, PyTorch .pt/.pth, Keras .keras)"},
    {"\x89HDF\r\n\x1a\n", 8, "an HDF5 file (Keras .h5)"},
    {"\x1f\x8b", 2, "a gzip-compressed file"},
};

/* A .sconv file is a safetensors file: an 8-byte little-endian header length within the
 * reader's limit, then a JSON object that fits in the file. */
static bool looks_like_safetensors(const unsigned char *buf, size_t len)
{
    if (len < 10 || buf[8] != '{') return false;
    const uint64_t hlen = sc_get_le(buf, 8);
    return hlen >= 2 && hlen <= SC_SCONV_MAX_HEADER && hlen <= len - 8;
}

const char *sc_file_sniff(const void *data, size_t len)
{
    const unsigned char *buf = data;
    if (!buf) return NULL;
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; ++i)
        if (len >= magics[i].len && memcmp(buf, magics[i].magic, magics[i].len) == 0)
            return magics[i].what;
    if (looks_like_safetensors(buf, len)) return "a .sconv or safetensors file";
    return NULL;
}
