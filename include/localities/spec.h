/*
 * Indicator specs: which columns of an indicator file mean what.
 *
 * A spec is a small CSV an analyst edits in a spreadsheet, one row per
 * indicator (see data/specs/README.md for the format).  Three rows name the
 * file's structural columns: `zone` (zone code), `population` and
 * `council`.  The other rows are indicators with a type that decides how
 * they are aggregated and tested.  Column names may list alternatives
 * separated by '|' so that one spec can serve files whose headers drifted.
 * The spec is checked on its own here (types, directions, required
 * columns); whether the named columns exist is checked when it is applied to
 * an indicator file.
 */
#ifndef LOCALITIES_SPEC_H
#define LOCALITIES_SPEC_H

#include <stddef.h>

#include "localities/ctx.h"

typedef enum loc_ind_type {
    LOC_IND_PROPORTION = 0, /* numerator count / denominator count */
    LOC_IND_RATE,           /* numerator count per denominator population, shown per `per` */
    LOC_IND_RATIO,          /* standardised ratio (100 = Scotland), weighted by population */
    LOC_IND_MEAN,           /* a value without counts, weighted by population */
    LOC_IND_SHARE           /* share of population in zones with value <= threshold */
} loc_ind_type;

typedef enum loc_method {
    LOC_METHOD_DEFAULT = 0, /* the type's own method */
    LOC_METHOD_NONE,        /* reported, never flagged */
    LOC_METHOD_NORMAL       /* flagged on the zone-level normal interval */
} loc_method;

/* How an indicator's minimum effect is stated (spec column `min_effect`). */
typedef enum loc_effect_kind {
    LOC_EFFECT_DEFAULT = 0, /* not stated: the run's default applies */
    LOC_EFFECT_ABS,         /* "2": an absolute difference in the indicator's shown units */
    LOC_EFFECT_REL,         /* "25%": a share of the comparator's value */
    LOC_EFFECT_SD           /* "0.5sd": standard deviations of the zone values across Scotland */
} loc_effect_kind;

/* One indicator row.  Strings are owned by the spec; column fields are
 * NULL when the row does not name them. */
/* What an indicator is used for beyond its test, from the spec's `role`
 * column (';'-separated), so that no indicator name is written in C. */
enum loc_role {
    LOC_ROLE_BUILD = 1, /* `build`: the localities should be alike in it (the default --build-indicators) */
    LOC_ROLE_KEY = 2,   /* `key`: a column of batch's comparison.csv and a trend counted in its summary */
    LOC_ROLE_MAP = 4    /* `map`: mapped first in the report and the GeoJSON's value */
};

typedef struct loc_indicator {
    const char *name;        /* identifier, unique in the spec */
    const char *label;       /* text for tables and maps; the name when empty */
    loc_ind_type type;       /* aggregation and test */
    const char *numerator;   /* count column (proportion, rate) */
    const char *denominator; /* denominator column (proportion, rate) */
    const char *value;       /* value column (ratio, mean, share) */
    const char *weight;      /* weight column; NULL means the population column */
    double threshold;        /* share: value <= threshold counts as deprived */
    double per;              /* rate: multiplier for display (1 when unset) */
    int higher_is_worse;     /* 1 when a higher value is a poorer outcome */
    loc_method method;       /* how ratio and mean indicators are flagged */
    const char *domain;      /* domain for the plan rule (income, health...); NULL when none */
    loc_effect_kind effect_kind; /* how `effect` is meant */
    double effect;           /* minimum difference flagged (see loc_effect_kind); 0 when default */
    double supp_low;         /* a suppressed numerator ('*') stands for a count in */
    double supp_high;        /*   [supp_low, supp_high]; both NaN when the spec says nothing */
    double lower, upper;     /* values the indicator can take (ratio, mean): -inf/+inf when unbounded */
    unsigned roles;          /* LOC_ROLE_* the spec's `role` column gives it */
    size_t line;             /* line of the spec file, for messages */
} loc_indicator;

typedef struct loc_spec loc_spec;

/* Read a spec file.  NULL with the context's error set (file and line
 * named) when the file cannot be read or a row is invalid.  Free with
 * loc_spec_destroy. */
LOC_API loc_spec *loc_spec_read(loc_ctx *ctx, const char *path);

/* As loc_spec_read from a buffer; name is used in messages. */
LOC_API loc_spec *loc_spec_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len);

/* Free a spec.  NULL does nothing. */
LOC_API void loc_spec_destroy(loc_spec *spec);

/* The path or name given at read time. */
LOC_API const char *loc_spec_name(const loc_spec *spec);

/*
 * The indicators of n (inds[0..n), any order the caller holds them in) with
 * role, as indices into inds in that order, at most max; returns how many.
 * Where no indicator has the role the spec did not say, and a default
 * stands in: build, the first two proportions; key, the shares then the
 * first two proportions (three at most); map, the first proportion, else
 * the first share.
 */
LOC_API size_t loc_indicators_with_role(const loc_indicator *const *inds, size_t n, unsigned role, size_t *out,
                                        size_t max);

/* Indicator rows, in file order. */
LOC_API size_t loc_spec_count(const loc_spec *spec);
LOC_API const loc_indicator *loc_spec_indicator(const loc_spec *spec, size_t i);

/* Structural columns; zone and population are required, council may be
 * NULL (the council then comes from a lookup or the boundaries). */
LOC_API const char *loc_spec_zone_column(const loc_spec *spec);
LOC_API const char *loc_spec_population_column(const loc_spec *spec);
LOC_API const char *loc_spec_council_column(const loc_spec *spec);

/* Text name of a type ("proportion", ...). */
LOC_API const char *loc_ind_type_name(loc_ind_type t);

#endif
