/* src/cli/rng.c: a seeded random generator (xoshiro256**) for synthetic weights and inputs */
#include <math.h>

#include "cli/cli.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cli_rng_seed(cli_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; ++i) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(cli_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double cli_rng_uniform(cli_rng *r)
{
    return (double)(next(r) >> 11) * 0x1.0p-53;
}

/* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
double cli_rng_normal(cli_rng *r)
{
    const double u = 1.0 - cli_rng_uniform(r), v = cli_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* t = z / sqrt(chi2_dof / dof), times sqrt((dof - 2) / dof) for unit variance. */
double cli_rng_student(cli_rng *r, int dof)
{
    double chi2 = 0;
    for (int i = 0; i < dof; ++i) {
        const double g = cli_rng_normal(r);
        chi2 += g * g;
    }
    return cli_rng_normal(r) / sqrt(chi2 / dof) * sqrt((double)(dof - 2) / dof);
}
