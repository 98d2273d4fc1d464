/*
 * A run's inputs, loaded and joined in one call: the boundaries, the
 * spec, the indicator file and the lookups, then the zone table that
 * joins them (see pipeline.h).  Each reader names its own file in its
 * errors; this file only keeps the order and what was read.
 */
#include "localities/pipeline.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The error a reader set (every reader sets one when it fails). */
static loc_status failed(const loc_ctx *ctx) { return loc_errcode(ctx) ? loc_errcode(ctx) : LOC_ENOMEM; }

loc_status loc_inputs_load(loc_ctx *ctx, const loc_input_files *f, loc_inputs *in)
{
    memset(in, 0, sizeof *in);
    loc_clear_error(ctx);
    if (f->nlookups > LOC_MAX_LOOKUPS)
        return loc_error(ctx, LOC_EINVAL, "at most %d lookups can be given", LOC_MAX_LOOKUPS);
    if (!(in->boundaries = loc_boundaries_read(ctx, f->boundaries, &f->boundary)) ||
        !(in->spec = loc_spec_read(ctx, f->spec)) || !(in->indicators = loc_csv_read(ctx, f->indicators)))
        return failed(ctx);
    for (size_t i = 0; i < f->nlookups; i++) {
        if (!(in->lookups[i] = loc_lookup_read(ctx, f->lookups[i], NULL)))
            return failed(ctx);
        in->nlookups++;
    }
    in->zones = loc_zones_join(ctx, in->boundaries, in->indicators, in->spec, (const loc_lookup *const *)in->lookups,
                               in->nlookups, &f->join, &in->coverage);
    return in->zones ? LOC_OK : failed(ctx);
}

void loc_inputs_free(loc_inputs *in)
{
    loc_zones_destroy(in->zones);
    for (size_t i = 0; i < in->nlookups; i++)
        loc_lookup_destroy(in->lookups[i]);
    loc_csv_destroy(in->indicators);
    loc_spec_destroy(in->spec);
    loc_boundaries_destroy(in->boundaries);
    memset(in, 0, sizeof *in);
}

size_t loc_zones_indicators_with_role(const loc_zones *z, unsigned role, size_t *out, size_t max)
{
    size_t ni = loc_zones_nindicators(z);
    const loc_indicator **inds = malloc((ni ? ni : 1) * sizeof *inds);
    if (!inds)
        return 0;
    for (size_t k = 0; k < ni; k++)
        inds[k] = loc_zones_indicator(z, k);
    size_t n = loc_indicators_with_role(inds, ni, role, out, max);
    free(inds);
    return n;
}
