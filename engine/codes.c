/*
 * Locality codes derived from member zones, and kept from an earlier run
 * (see codes.h).  Both work on a finished partition: the builder's
 * numbering decides nothing about a code, so a locality's code changes
 * only when its zones do, and a council's codes depend on its localities
 * alone (a collision widens the codes of that council only).
 */
#include "localities/codes.h"
#include "localities/sha256.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void loc_codes_free(loc_ctx *ctx, char **codes, size_t n)
{
    if (!codes)
        return;
    for (size_t k = 0; k < n; k++)
        loc_free(ctx, codes[k]);
    loc_free(ctx, codes);
}

/* The full SHA-256 of locality k's zone codes, each followed by '\n'. */
static loc_status member_digest(loc_ctx *ctx, const loc_partition *p, size_t k, char hex[65])
{
    const loc_zones *z = loc_partition_zones(p);
    size_t n, len = 0;
    const uint32_t *m = loc_partition_members(p, k, &n);
    for (size_t i = 0; i < n; i++)
        len += strlen(loc_zones_code(z, m[i])) + 1;
    char *buf = loc_malloc(ctx, len ? len : 1);
    if (!buf)
        return LOC_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(loc_zones_code(z, m[i]));
        memcpy(buf + at, loc_zones_code(z, m[i]), l);
        buf[at + l] = '\n';
        at += l + 1;
    }
    loc_sha256_hex(buf, len, hex);
    loc_free(ctx, buf);
    return LOC_OK;
}

static const char *council_code(const loc_partition *p, size_t k)
{
    int32_t c = loc_partition_council(p, k);
    return c >= 0 ? loc_zones_council_code(loc_partition_zones(p), (size_t)c) : "X";
}

/* The fewest digits (from LOC_CODE_DIGITS, two at a time) at which no two
 * localities of the same council share a code. */
static int digits_needed(const loc_partition *p, char (*hex)[65], size_t n, size_t k0)
{
    int d = LOC_CODE_DIGITS;
    for (size_t a = k0; a < n; a++) {
        if (loc_partition_council(p, a) != loc_partition_council(p, k0))
            continue;
        for (size_t b = a + 1; b < n; b++)
            while (d < 64 && loc_partition_council(p, b) == loc_partition_council(p, a) &&
                   strncmp(hex[a], hex[b], (size_t)d) == 0)
                d += 2;
    }
    return d;
}

loc_status loc_codes_derive(loc_ctx *ctx, const loc_partition *p, char ***codes)
{
    size_t n = loc_partition_count(p);
    char (*hex)[65] = loc_malloc(ctx, (n ? n : 1) * sizeof *hex);
    int *digits = loc_malloc(ctx, (n ? n : 1) * sizeof *digits);
    char **out = loc_calloc(ctx, n ? n : 1, sizeof *out);
    loc_status st = LOC_ENOMEM;
    *codes = NULL;
    if (!hex || !digits || !out)
        goto done;
    for (size_t k = 0; k < n; k++)
        if ((st = member_digest(ctx, p, k, hex[k])))
            goto done;
    /* a council's width is decided once, at its first locality */
    for (size_t k = 0; k < n; k++) {
        digits[k] = -1;
        for (size_t q = 0; q < k && digits[k] < 0; q++)
            if (loc_partition_council(p, q) == loc_partition_council(p, k))
                digits[k] = digits[q];
        if (digits[k] < 0)
            digits[k] = digits_needed(p, hex, n, k);
    }
    st = LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const char *cc = council_code(p, k);
        size_t len = strlen(cc) + 1 + (size_t)digits[k] + 1;
        if (!(out[k] = loc_malloc(ctx, len)))
            goto done;
        snprintf(out[k], len, "%s-%.*s", cc, digits[k], hex[k]);
    }
    st = LOC_OK;
    *codes = out;
    out = NULL;
done:
    loc_codes_free(ctx, out, n);
    loc_free(ctx, hex);
    loc_free(ctx, digits);
    return st;
}

/* A zone row's weight in the overlap: its residents, at least 1e-9. */
static double row_weight(const double *pop, uint32_t row)
{
    double w = pop[row];
    return (isnan(w) || w < 0 ? 0 : w) + 1e-9;
}

/* The earlier locality overlapping locality k most, by Jaccard index, or
 * -1; acc is zeroed scratch over the earlier groups, left zeroed. */
static long best_earlier(const loc_partition *p, size_t k, const loc_grouping *earlier, const double *gpop,
                         double *acc, double *jaccard)
{
    const double *pop = loc_zones_population(loc_partition_zones(p));
    size_t n;
    const uint32_t *m = loc_partition_members(p, k, &n);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        total += row_weight(pop, m[i]);
        if (earlier->member[m[i]] >= 0)
            acc[earlier->member[m[i]]] += row_weight(pop, m[i]);
    }
    long best = -1;
    *jaccard = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t g = earlier->member[m[i]];
        if (g < 0 || acc[g] == 0)
            continue;
        double j = acc[g] / (total + gpop[g] - acc[g]);
        if (j > *jaccard || (j == *jaccard && g < best)) {
            *jaccard = j;
            best = g;
        }
        acc[g] = 0;
    }
    return best;
}

loc_partition *loc_codes_keep(loc_ctx *ctx, const loc_partition *p, const loc_grouping *earlier, double min_overlap,
                              size_t *kept)
{
    loc_clear_error(ctx);
    if (!(min_overlap > 0.5 && min_overlap <= 1)) {
        loc_error(ctx, LOC_EINVAL, "the overlap that keeps a code must be above 0.5 and at most 1, not %g",
                  min_overlap);
        return NULL;
    }
    const loc_zones *z = loc_partition_zones(p);
    const double *pop = loc_zones_population(z);
    size_t n = loc_partition_count(p), rows = loc_zones_count(z), ng = earlier->ngroups, nkept = 0;
    double *gpop = loc_calloc(ctx, ng ? ng : 1, sizeof *gpop), *acc = loc_calloc(ctx, ng ? ng : 1, sizeof *acc);
    const char **codes = loc_malloc(ctx, (n ? n : 1) * sizeof *codes);
    const char **names = loc_malloc(ctx, (n ? n : 1) * sizeof *names);
    loc_partition *out = NULL;
    if (!gpop || !acc || !codes || !names)
        goto done;
    for (size_t r = 0; r < rows; r++)
        if (earlier->member[r] >= 0)
            gpop[earlier->member[r]] += row_weight(pop, (uint32_t)r);
    for (size_t k = 0; k < n; k++) {
        double j;
        long g = best_earlier(p, k, earlier, gpop, acc, &j);
        int keep = g >= 0 && j >= min_overlap;
        codes[k] = keep ? earlier->codes[g] : loc_partition_code(p, k);
        names[k] = loc_partition_name(p, k);
        nkept += keep;
    }
    out = loc_partition_create(ctx, z, loc_partition_labels(p), n, codes, names);
done:
    if (!out && !loc_errcode(ctx))
        loc_error(ctx, LOC_ENOMEM, "out of memory keeping codes");
    if (out && kept)
        *kept = nkept;
    loc_free(ctx, gpop);
    loc_free(ctx, acc);
    loc_free(ctx, codes);
    loc_free(ctx, names);
    return out;
}
