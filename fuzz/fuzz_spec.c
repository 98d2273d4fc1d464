/*
 * libFuzzer target for the indicator spec reader (loc_spec_parse).  An
 * accepted spec must hold what the reader promises: zone and population
 * columns, every indicator with a valid name, the columns its type needs,
 * a positive 'per' and a threshold for shares.  A refused one must leave a
 * message.  Anything else (a crash, a leak, a broken promise) is a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localities/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 0;
    loc_spec *spec = loc_spec_parse(ctx, "fuzz.csv", data, size);
    if (!spec) {
        if (loc_errcode(ctx) == LOC_OK || !loc_errmsg(ctx)[0])
            abort();
    } else {
        if (!loc_spec_zone_column(spec) || !loc_spec_population_column(spec))
            abort();
        for (size_t i = 0; i < loc_spec_count(spec); i++) {
            const loc_indicator *ind = loc_spec_indicator(spec, i);
            if (!ind->name || !ind->label || !(ind->per > 0) || strlen(ind->name) > 63)
                abort();
            int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
            if (counts ? !ind->numerator || !ind->denominator : !ind->value)
                abort();
            if (ind->type == LOC_IND_SHARE && isnan(ind->threshold))
                abort();
            (void)strlen(loc_ind_type_name(ind->type));
        }
        loc_spec_destroy(spec);
    }
    loc_ctx_destroy(ctx);
    return 0;
}
