/*
 * `localities build`: zones -> localities.  Loads the inputs, builds the
 * contiguity graph of the study zones, turns the options into the
 * builder's problem (features from the spec's indicators, groupings to
 * respect from lookups), runs the builder, and prints a summary per
 * council an analyst can check: how many localities, their populations,
 * how well they follow deprivation, how many natural communities were
 * kept whole.  cli_build is shared with `run`.
 */
#include "cli.h"

#include "localities/builder.h"
#include "localities/codes.h"
#include "localities/feasibility.h"
#include "localities/graph.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_OUT "localities-out"

/* How a --respect grouping binds: soft (split as little as the objective
 * allows), hard (never split: each group in one locality) or nest (never
 * crossed: each locality in one group, as localities nest in councils). */
enum { RESPECT_SOFT = 0, RESPECT_HARD = 1, RESPECT_NEST = 2 };
static const char *const RESPECT_WORD[] = {"soft", "hard", "nest"};

/* Lookup columns taken as intermediate zones when no --respect is given. */
static const char *const IZ_COLUMNS[] = {"iz11_code", "IZcode", "IntZone", "InterZone", "iz_code", "iz01_code", NULL};

void cli_built_free(cli_built *b)
{
    free(b->area_count);
    if (b->ctx)
        loc_free(b->ctx, b->feasibility);
    for (size_t k = 0; k < b->ngroupings; k++) {
        loc_grouping_destroy(b->groupings[k]);
        free(b->member[k]);
    }
    for (size_t k = 0; k < b->nown; k++)
        loc_lookup_destroy(b->own_lookups[k]);
    loc_partition_destroy(b->partition);
    loc_build_result_destroy(b->result);
    loc_graph_destroy(b->graph);
    free(b->rows);
    free(b->geoms);
    free(b->codes);
    free(b->council);
    free(b->region);
    free(b->pop);
    free(b->x);
    memset(b, 0, sizeof *b);
}

/* Parse a number option: finite, within [lo, hi]. */
int cli_number(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || d < lo || d > hi)
        return cli_usage_error(cmd, "--%s needs a number from %g to %g, not '%s'", opt, lo, hi, v);
    *out = d;
    return CLI_EXIT_OK;
}

/* --localities-per-council takes a number, or a CSV of counts per council:
 * anything that is not a number and names a file. */
static int per_council_is_file(const char *v)
{
    char *end;
    strtod(v, &end);
    struct stat sb;
    return (end == v || *end) && stat(v, &sb) == 0;
}

/* --localities-per-council FILE: a CSV with columns council_code (or the
 * first column) and localities, one council a row; a council not listed
 * keeps the defaults.  Into b->area_count, by council row. */
static int read_area_counts(loc_ctx *ctx, const char *path, const cli_inputs *in, cli_built *b)
{
    const loc_zones *z = in->zones;
    loc_csv *csv = loc_csv_read(ctx, path);
    if (!csv)
        return cli_fail(ctx);
    int rc = CLI_EXIT_OK;
    long cc = loc_csv_column(csv, "council_code"), nc = loc_csv_column(csv, "localities");
    if (cc < 0)
        cc = 0;
    if (nc < 0) {
        cli_error("'%s': no column 'localities' (the number of localities wanted in each council)", path);
        rc = CLI_EXIT_DATA;
        goto done;
    }
    if (!(b->area_count = calloc(loc_zones_ncouncils(z) + 1, sizeof *b->area_count))) {
        cli_error("out of memory");
        rc = CLI_EXIT_DATA;
        goto done;
    }
    for (size_t r = 0; r < loc_csv_nrows(csv) && !rc; r++) {
        const char *code = loc_csv_field(csv, r, (size_t)cc), *v = loc_csv_field(csv, r, (size_t)nc);
        size_t c = 0;
        while (c < loc_zones_ncouncils(z) && strcmp(loc_zones_council_code(z, c), code) != 0)
            c++;
        double d;
        char *end;
        d = strtod(v, &end);
        if (c == loc_zones_ncouncils(z)) {
            cli_error("'%s' line %zu: no council '%s' in the data", path, loc_csv_line(csv, r), code);
            rc = CLI_EXIT_DATA;
        } else if (end == v || *end || !(d >= 1 && d <= 1e6)) {
            cli_error("'%s' line %zu: localities must be a number from 1 to 1000000, not '%s'", path,
                      loc_csv_line(csv, r), v);
            rc = CLI_EXIT_DATA;
        } else {
            b->area_count[c] = d;
        }
    }
done:
    loc_csv_destroy(csv);
    return rc;
}

static int parse_build_opts(const char *cmd, const cli_args *a, loc_build_opts *o)
{
    loc_build_opts_init(o);
    double d;
    int rc = CLI_EXIT_OK;
    if (a->max_pop && !(rc = cli_number(cmd, "max-pop", a->max_pop, 1, 1e9, &d)))
        o->max_pop = d;
    if (!rc && a->min_pop && !(rc = cli_number(cmd, "min-pop", a->min_pop, 0, 1e9, &d)))
        o->min_pop = d;
    if (!rc && a->seed && !(rc = cli_number(cmd, "seed", a->seed, 0, 9007199254740992.0, &d)))
        o->seed = (uint64_t)d;
    if (!rc && a->threads && !(rc = cli_number(cmd, "threads", a->threads, 1, 64, &d)))
        o->threads = (int)d;
    if (!rc && a->starts && !(rc = cli_number(cmd, "starts", a->starts, 0, 1000, &d)))
        o->starts = (int)d;
    if (!rc && a->w_het && !(rc = cli_number(cmd, "w-het", a->w_het, 0, 1e6, &d)))
        o->w_het = d;
    if (!rc && a->w_compact && !(rc = cli_number(cmd, "w-compact", a->w_compact, 0, 1e6, &d)))
        o->w_compact = d;
    if (!rc && a->w_soft && !(rc = cli_number(cmd, "w-soft", a->w_soft, 0, 1e6, &d)))
        o->w_soft = d;
    if (!rc && a->target_pop && !(rc = cli_number(cmd, "target-pop", a->target_pop, 1, 1e9, &d)))
        o->target_pop = d;
    if (!rc && a->per_council && !per_council_is_file(a->per_council)) {
        char *end;
        d = strtod(a->per_council, &end);
        if (end == a->per_council || *end || !(d >= 1 && d <= 1e6))
            rc = cli_usage_error(cmd, "--localities-per-council needs a number from 1 to 1000000 or a CSV file of "
                                      "counts per council, not '%s'", a->per_council);
        else
            o->localities_per_council = (size_t)d;
    }
    if (!rc && a->target_pop && a->per_council)
        rc = cli_usage_error(cmd, "--target-pop and --localities-per-council ask for the same thing: give one");
    if (!rc && o->min_pop > o->max_pop)
        rc = cli_usage_error(cmd, "--min-pop (%g) is above --max-pop (%g)", o->min_pop, o->max_pop);
    return rc;
}

/* The study zones that have a polygon, in zone-code order: the graph's nodes. */
static int make_nodes(const cli_inputs *in, cli_built *b)
{
    const loc_zones *z = in->zones;
    size_t ns = loc_zones_nstudy(z), m = ns ? ns : 1;
    if (!(b->rows = malloc(m * sizeof *b->rows)) || !(b->geoms = malloc(m * sizeof *b->geoms)) ||
        !(b->codes = malloc(m * sizeof *b->codes)) || !(b->council = malloc(m * sizeof *b->council)) ||
        !(b->pop = malloc(m * sizeof *b->pop))) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    const double *pop = loc_zones_population(z);
    /* Nodes in zone-code order, not the source's feature order: the same
     * zones give the same graph and localities whatever the file format
     * (a FlatGeobuf with a spatial index stores its features in space
     * order) or the order of the rows. */
    const uint32_t *by_code = loc_zones_study_by_code(z);
    for (size_t s = 0; s < ns; s++) {
        uint32_t row = by_code[s];
        if (loc_zones_boundary(z, row) < 0) {
            b->no_boundary++;
            continue;
        }
        long bi = loc_zones_boundary(z, row);
        b->rows[b->n] = row;
        b->geoms[b->n] = loc_boundaries_geom(in->boundaries, (size_t)bi);
        b->codes[b->n] = loc_zones_code(z, row);
        b->council[b->n] = loc_zones_councils(z)[row];
        b->pop[b->n] = isnan(pop[row]) ? 0 : pop[row];
        b->n++;
    }
    if (b->no_boundary)
        cli_warn("%zu study zone%s ha%s no boundary and cannot be placed in a locality", b->no_boundary,
                 b->no_boundary == 1 ? "" : "s", b->no_boundary == 1 ? "s" : "ve");
    if (!b->n) {
        cli_error("no study zone has a boundary: nothing to build");
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

size_t cli_indicators_with_role(const loc_zones *z, unsigned role, size_t *out, size_t max)
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

/* Features: the chosen indicators (default the spec's role `build`, else
 * its first two proportions), as zone values: rates for counts, values
 * otherwise. */
static int make_features(const cli_args *a, const cli_inputs *in, cli_built *b)
{
    const loc_zones *z = in->zones;
    size_t ni = loc_zones_nindicators(z), chosen[64], nc = 0;
    if (a->build_indicators) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", a->build_indicators);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            size_t k = 0;
            while (k < ni && strcmp(loc_zones_indicator(z, k)->name, tok) != 0)
                k++;
            if (k == ni) {
                cli_error("--build-indicators: the spec '%s' has no indicator '%s'", loc_spec_name(in->spec), tok);
                return CLI_EXIT_DATA;
            }
            if (nc < 64)
                chosen[nc++] = k;
        }
    } else {
        nc = cli_indicators_with_role(z, LOC_ROLE_BUILD, chosen, 64);
    }
    b->nfeat = nc;
    b->feat_names[0] = 0;
    for (size_t f = 0; f < nc; f++) {
        b->feat[f] = chosen[f];
        size_t len = strlen(b->feat_names);
        snprintf(b->feat_names + len, sizeof b->feat_names - len, "%s%s", f ? ", " : "",
                 loc_zones_indicator(z, chosen[f])->name);
    }
    if (!(b->x = malloc((b->n * nc > 0 ? b->n * nc : 1) * sizeof *b->x))) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    for (size_t f = 0; f < nc; f++) {
        const loc_indicator *ind = loc_zones_indicator(z, chosen[f]);
        const double *c0 = loc_zones_column(z, chosen[f], 0), *c1 = loc_zones_column(z, chosen[f], 1);
        int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
        for (size_t i = 0; i < b->n; i++) {
            uint32_t r = b->rows[i];
            double v = counts ? (c1[r] > 0 ? c0[r] / c1[r] : NAN) : c0[r];
            b->x[i * nc + f] = v;
        }
    }
    return CLI_EXIT_OK;
}

/* Find a loaded lookup by path, or read it (kept in b). */
static const loc_lookup *lookup_for(loc_ctx *ctx, const cli_inputs *in, cli_built *b, const char *path)
{
    for (size_t k = 0; k < in->nlookups; k++)
        if (strcmp(loc_lookup_path(in->lookups[k]), path) == 0)
            return in->lookups[k];
    for (size_t k = 0; k < b->nown; k++)
        if (strcmp(loc_lookup_path(b->own_lookups[k]), path) == 0)
            return b->own_lookups[k];
    if (b->nown >= CLI_MAX_REPEAT)
        return NULL;
    loc_lookup *l = loc_lookup_read(ctx, path, NULL);
    if (l)
        b->own_lookups[b->nown++] = l;
    return l;
}

/* One grouping over the nodes from a lookup column. */
static int add_grouping(loc_ctx *ctx, const cli_inputs *in, cli_built *b, const loc_lookup *l, const char *column,
                        int hard)
{
    if (b->ngroupings >= LOC_BUILD_MAX_GROUPINGS) {
        cli_error("at most %d groupings can be respected", LOC_BUILD_MAX_GROUPINGS);
        return CLI_EXIT_DATA;
    }
    loc_grouping *g = loc_zones_grouping(ctx, in->zones, l, column);
    if (!g)
        return cli_fail(ctx);
    size_t k = b->ngroupings++;
    b->groupings[k] = g;
    b->hard[k] = hard;
    if (!(b->member[k] = malloc((b->n ? b->n : 1) * sizeof *b->member[k]))) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    size_t unlisted = 0;
    for (size_t i = 0; i < b->n; i++) {
        b->member[k][i] = g->member[b->rows[i]];
        unlisted += b->member[k][i] < 0;
    }
    if (unlisted)
        cli_warn("'%s': %zu zone%s in no group; %s", g->label, unlisted, unlisted == 1 ? "" : "s",
                 hard == RESPECT_NEST ? "together, per council, they form one more group"
                 : hard                ? "each is a group of its own"
                                       : "they count as groups of their own");
    return CLI_EXIT_OK;
}

/* One --respect value, FILE:COLUMN:hard|soft, split at its last two
 * colons (a path may hold colons).  Checked before any input is loaded,
 * so a typing slip costs nothing. */
static int parse_respect(const char *cmd, const char *spec, char *path, size_t npath, char *column, size_t ncolumn,
                         int *hard)
{
    const char *c2 = strrchr(spec, ':');
    const char *c1 = NULL;
    for (const char *q = spec; c2 && q < c2; q++)
        if (*q == ':')
            c1 = q;
    if (!c1 || (strcmp(c2 + 1, "hard") != 0 && strcmp(c2 + 1, "soft") != 0 && strcmp(c2 + 1, "nest") != 0) ||
        c1 == spec || c2 == c1 + 1)
        return cli_usage_error(cmd, "--respect needs FILE:COLUMN:hard, FILE:COLUMN:soft or FILE:COLUMN:nest, not '%s'",
                               spec);
    if ((size_t)(c1 - spec) >= npath || (size_t)(c2 - c1 - 1) >= ncolumn)
        return cli_usage_error(cmd, "--respect: the file or column name is too long in '%s'", spec);
    snprintf(path, npath, "%.*s", (int)(c1 - spec), spec);
    snprintf(column, ncolumn, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    *hard = strcmp(c2 + 1, "hard") == 0 ? RESPECT_HARD : strcmp(c2 + 1, "nest") == 0 ? RESPECT_NEST : RESPECT_SOFT;
    return CLI_EXIT_OK;
}

int cli_snap_opts(const cli_args *a, loc_graph_opts *go)
{
    if (!a->snap || !strcmp(a->snap, "auto"))
        return CLI_EXIT_OK; /* loc_graph_opts_init's: chosen from the data where the coverage is not clean */
    char *end;
    errno = 0;
    double d = strtod(a->snap, &end);
    if (end == a->snap || *end || errno || !isfinite(d) || d < 0 || d > 1000)
        return cli_usage_error(a->command, "--snap needs a distance in metres from 0 to 1000 or 'auto', not '%s'",
                               a->snap);
    go->snap_auto = 0;
    go->snap_m = d;
    return CLI_EXIT_OK;
}

int cli_build_check(const cli_args *a)
{
    loc_build_opts o;
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    int rc = parse_build_opts(a->command, a, &o);
    if (!rc)
        rc = cli_snap_opts(a, &go);
    for (size_t r = 0; !rc && r < a->nrespect; r++) {
        char path[4096], column[256];
        int hard;
        if (strcmp(a->respect[r], "none") != 0)
            rc = parse_respect(a->command, a->respect[r], path, sizeof path, column, sizeof column, &hard);
    }
    return rc;
}

/* --respect FILE:COLUMN:hard|soft, or intermediate zones by default. */
static int make_groupings(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, cli_built *b)
{
    for (size_t r = 0; r < a->nrespect; r++) {
        const char *spec = a->respect[r];
        if (strcmp(spec, "none") == 0)
            return CLI_EXIT_OK;
        char path[4096], column[256];
        int hard, rc = parse_respect(a->command, spec, path, sizeof path, column, sizeof column, &hard);
        if (rc)
            return rc;
        const loc_lookup *l = lookup_for(ctx, in, b, path);
        if (!l)
            return cli_fail(ctx);
        if ((rc = add_grouping(ctx, in, b, l, column, hard)))
            return rc;
    }
    if (a->nrespect)
        return CLI_EXIT_OK;
    /* default: intermediate zones, soft, from a lookup that has them */
    for (size_t k = 0; k < in->nlookups; k++)
        for (size_t c = 0; IZ_COLUMNS[c]; c++)
            if (loc_lookup_col(in->lookups[k], IZ_COLUMNS[c]) >= 0) {
                b->default_respect = 1;
                return add_grouping(ctx, in, b, in->lookups[k], IZ_COLUMNS[c], 0);
            }
    return CLI_EXIT_OK;
}

int cli_graph_only(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, cli_built *b)
{
    memset(b, 0, sizeof *b);
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    go.queen = a->queen;
    int rc;
    if ((rc = cli_snap_opts(a, &go)))
        return rc;
    if ((rc = make_nodes(in, b)))
        return rc;
    go.codes = b->codes;
    if (!(b->graph = loc_graph_build(ctx, b->n, b->geoms, b->council, &go)))
        return cli_fail(ctx);
    return CLI_EXIT_OK;
}

typedef struct region_key {
    int32_t council;
    int32_t group[LOC_BUILD_MAX_GROUPINGS]; /* per nest grouping, -1 none */
    uint32_t node;
} region_key;

static int cmp_region(const void *pa, const void *pb)
{
    const region_key *x = pa, *y = pb;
    if (x->council != y->council)
        return x->council < y->council ? -1 : 1;
    for (size_t k = 0; k < LOC_BUILD_MAX_GROUPINGS; k++) /* slots past the nest groupings hold -1 */
        if (x->group[k] != y->group[k])
            return x->group[k] < y->group[k] ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* With nest groupings, the builder's "councils" are the (council, group)
 * pairs, numbered council by council so that locality codes still run
 * through each council; the graph then links each pair's separate parts
 * (a ward cut by water) within it.  b->region stays NULL without them. */
static int make_regions(cli_built *b)
{
    size_t nn = 0, idx[LOC_BUILD_MAX_GROUPINGS];
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->hard[k] == RESPECT_NEST)
            idx[nn++] = k;
    if (!nn)
        return CLI_EXIT_OK;
    region_key *key = malloc((b->n ? b->n : 1) * sizeof *key);
    if (!key || !(b->region = malloc((b->n ? b->n : 1) * sizeof *b->region))) {
        free(key);
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    for (size_t i = 0; i < b->n; i++) {
        key[i].council = b->council[i];
        for (size_t q = 0; q < LOC_BUILD_MAX_GROUPINGS; q++)
            key[i].group[q] = q < nn ? b->member[idx[q]][i] : -1;
        key[i].node = (uint32_t)i;
    }
    qsort(key, b->n, sizeof *key, cmp_region);
    int32_t id = -1;
    for (size_t i = 0; i < b->n; i++) {
        int fresh = i == 0 || key[i].council != key[i - 1].council;
        for (size_t q = 0; q < nn && !fresh; q++)
            fresh = key[i].group[q] != key[i - 1].group[q];
        id += fresh;
        b->region[key[i].node] = id;
    }
    b->nregions = (size_t)id + 1;
    free(key);
    return CLI_EXIT_OK;
}

/* Share of residents two localities must have in common (Jaccard) for a
 * locality to keep an earlier code: high enough that a locality that lost
 * or gained a zone or two keeps it, and above one half, so that the match
 * is one to one. */
#define KEEP_CODE_OVERLAP 0.9

int cli_write_feasibility(loc_ctx *ctx, const cli_inputs *in, const cli_built *b, const char *path)
{
    if (!b->feasibility)
        return CLI_EXIT_OK; /* localities given, not built */
    if (loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts, in->zones, path))
        return cli_fail(ctx);
    return CLI_EXIT_OK;
}

void cli_print_feasibility(FILE *f, const cli_built *b)
{
    size_t councils = 0, ceiling = 0, low_councils = 0, low_parts = 0, in_councils = 0;
    for (size_t r = 0; r < b->nfeasibility; r++) {
        const loc_feasibility *x = &b->feasibility[r];
        if (x->component == 0) {
            councils++;
            ceiling += !x->ceiling_holds;
            low_councils += !x->floor_holds;
            int any = 0;
            for (size_t q = r + 1; q < b->nfeasibility && b->feasibility[q].component; q++)
                any |= !b->feasibility[q].floor_holds;
            in_councils += any;
        } else {
            low_parts += !x->floor_holds;
        }
    }
    if (!b->feasibility || (!ceiling && !low_councils && !low_parts))
        return;
    fprintf(f, "  bounds     %zu of %zu councils with a zone or hard group above the ceiling, %zu below the floor; "
               "%zu parts cut off by water below the floor, in %zu councils (feasibility.csv)\n",
            ceiling, councils, low_councils, low_parts, in_councils);
}

void cli_print_codes_kept(FILE *f, const char *codes_from, const cli_built *b)
{
    if (!codes_from)
        return;
    size_t nl = loc_partition_count(b->partition);
    fprintf(f, "  codes      %zu of %zu kept from '%s' (%.0f%% or more of residents shared), %zu new\n", b->codes_kept,
            nl, codes_from, 100 * KEEP_CODE_OVERLAP, nl - b->codes_kept);
}

/* --codes-from FILE: the codes of an earlier zones.csv kept where a
 * locality is nearly unchanged. */
static int keep_codes(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, cli_built *b)
{
    loc_lookup *l = loc_lookup_read(ctx, a->codes_from, "zone_code");
    loc_grouping *g = l ? loc_zones_grouping(ctx, in->zones, l, "locality_code") : NULL;
    loc_partition *kept = g ? loc_codes_keep(ctx, b->partition, g, KEEP_CODE_OVERLAP, &b->codes_kept) : NULL;
    loc_grouping_destroy(g);
    loc_lookup_destroy(l);
    if (!kept)
        return cli_fail(ctx);
    loc_partition_destroy(b->partition);
    b->partition = kept;
    return CLI_EXIT_OK;
}

size_t cli_build_groupings(const cli_built *b, loc_build_grouping *gr)
{
    size_t ng = 0;
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->hard[k] != RESPECT_NEST) /* nest groupings are in part already */
            gr[ng++] = (loc_build_grouping){b->member[k], b->groupings[k]->ngroups, b->hard[k] == RESPECT_HARD,
                                            b->groupings[k]->label};
    return ng;
}

int cli_build(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, cli_built *b)
{
    memset(b, 0, sizeof *b);
    loc_build_opts o;
    int rc = parse_build_opts(a->command, a, &o);
    if (rc)
        return rc;
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    go.queen = a->queen;
    if ((rc = cli_snap_opts(a, &go)))
        return rc;
    if ((rc = make_nodes(in, b)) || (rc = make_features(a, in, b)) || (rc = make_groupings(ctx, a, in, b)) ||
        (rc = make_regions(b)))
        return rc;
    if (a->per_council && per_council_is_file(a->per_council)) {
        if ((rc = read_area_counts(ctx, a->per_council, in, b)))
            return rc;
        o.area_count = b->area_count;
        o.nareas = loc_zones_ncouncils(in->zones);
    }
    const int32_t *part = b->region ? b->region : b->council;
    go.codes = b->codes;
    if (!(b->graph = loc_graph_build(ctx, b->n, b->geoms, part, &go)))
        return cli_fail(ctx);
    loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
    size_t ng = cli_build_groupings(b, gr);
    b->input = (loc_build_input){b->n, b->graph, b->pop, part, b->x, b->nfeat, gr, ng, b->codes, NULL};
    b->input.area = b->region ? b->council : NULL; /* nest regions are built council by council */
    b->opts = o;
    if (!(b->result = loc_build(ctx, &b->input, &o)))
        return cli_fail(ctx);
    /* whether the bounds can hold, per council and part, while the hard
     * groups are at hand */
    b->ctx = ctx;
    if (!(b->feasibility = loc_feasibility_check(ctx, &b->input, &o, &b->nfeasibility)))
        return cli_fail(ctx);
    b->input.groupings = NULL; /* gr lives on this stack frame only */
    /* names from the first grouping that has names */
    const loc_grouping *names = NULL;
    for (size_t k = 0; k < b->ngroupings && !names; k++)
        for (size_t g = 0; g < b->groupings[k]->ngroups; g++)
            if (b->groupings[k]->names[g][0]) {
                names = b->groupings[k];
                break;
            }
    /* zone centroids tell localities that share a name apart ("Kirkcaldy East") */
    double *xy = malloc((b->n ? b->n : 1) * 2 * sizeof *xy);
    if (!xy) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    if (loc_build_centroids(ctx, b->n, b->geoms, xy) ||
        !(b->partition = loc_build_partition(ctx, in->zones, b->result, b->rows, names, xy))) {
        free(xy);
        return cli_fail(ctx);
    }
    free(xy);
    if (a->codes_from)
        return keep_codes(ctx, a, in, b);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * Summary
 * --------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Groups of grouping k kept whole (all their nodes in one locality), of
 * those with a node; per council when council >= 0. */
static void kept_whole(const cli_built *b, size_t k, int32_t council, size_t *whole, size_t *total)
{
    const loc_grouping *g = b->groupings[k];
    const int32_t *lab = loc_build_labels(b->result);
    int32_t *first = malloc((g->ngroups ? g->ngroups : 1) * sizeof *first);
    uint8_t *split = calloc(g->ngroups ? g->ngroups : 1, 1);
    *whole = *total = 0;
    if (!first || !split) {
        free(first);
        free(split);
        return;
    }
    for (size_t q = 0; q < g->ngroups; q++)
        first[q] = -1;
    for (size_t i = 0; i < b->n; i++) {
        int32_t m = b->member[k][i];
        if (m < 0 || (council >= 0 && b->council[i] != council))
            continue;
        if (first[m] < 0)
            first[m] = lab[i];
        else if (first[m] != lab[i])
            split[m] = 1;
    }
    for (size_t q = 0; q < g->ngroups; q++)
        if (first[q] >= 0) {
            (*total)++;
            *whole += !split[q];
        }
    free(first);
    free(split);
}

/* Mean Polsby-Popper compactness (4 pi A / P^2) of the localities of a
 * council, from zone areas and the graph's perimeters and shared lengths:
 * a locality's perimeter is its zones' perimeters less twice the boundary
 * they share. */
static double mean_polsby_popper(loc_ctx *ctx, const cli_built *b, int32_t council, const double *area)
{
    size_t nl = loc_build_count(b->result);
    const int32_t *lab = loc_build_labels(b->result);
    double *A = calloc(nl ? nl : 1, sizeof *A), *P = calloc(nl ? nl : 1, sizeof *P);
    (void)ctx;
    if (!A || !P) {
        free(A);
        free(P);
        return NAN;
    }
    const double *per = loc_graph_perimeters(b->graph);
    for (size_t i = 0; i < b->n; i++) {
        A[lab[i]] += area[i];
        P[lab[i]] += per[i];
        for (size_t e = 0; e < loc_graph_degree(b->graph, i); e++) {
            uint32_t j = loc_graph_neighbours(b->graph, i)[e];
            if (lab[j] == lab[i])
                P[lab[i]] -= loc_graph_row_lengths(b->graph, i)[e]; /* each side once: twice in all */
        }
    }
    double sum = 0;
    size_t cnt = 0;
    for (size_t l = 0; l < nl; l++) {
        if (loc_partition_council(b->partition, l) != council || !(P[l] > 0))
            continue;
        sum += 4 * M_PI * A[l] / (P[l] * P[l]);
        cnt++;
    }
    free(A);
    free(P);
    return cnt ? sum / (double)cnt : NAN;
}

/* R^2 of an indicator's zone rates explained by locality means. */
static double indicator_r2(const cli_inputs *in, const cli_built *b, const char *name, const int32_t *labels, size_t nl)
{
    const loc_zones *z = in->zones;
    for (size_t k = 0; k < loc_zones_nindicators(z); k++) {
        if (strcmp(loc_zones_indicator(z, k)->name, name) != 0)
            continue;
        const double *c0 = loc_zones_column(z, k, 0), *c1 = loc_zones_column(z, k, 1);
        double *x = malloc((b->n ? b->n : 1) * sizeof *x), *w = malloc((b->n ? b->n : 1) * sizeof *w);
        double r2 = NAN;
        if (x && w) {
            for (size_t i = 0; i < b->n; i++) {
                uint32_t r = b->rows[i];
                x[i] = c1[r] > 0 ? c0[r] / c1[r] : NAN;
                w[i] = b->pop[i];
            }
            r2 = loc_build_r2(b->n, x, w, labels, nl);
        }
        free(x);
        free(w);
        return r2;
    }
    return NAN;
}

/* A grouping's label with the folder left out: "file.csv:column". */
static const char *short_label(const char *label)
{
    const char *colon = strrchr(label, ':'), *slash = NULL;
    for (const char *q = label; *q && q < colon; q++)
        if (*q == '/')
            slash = q;
    return slash ? slash + 1 : label;
}

/* Localities whose zones all lie in one group of grouping k (zones in no
 * group count as one more group), checked from the result alone. */
static size_t nested_in(const cli_built *b, size_t k)
{
    size_t nl = loc_build_count(b->result), ok = 0;
    const int32_t *lab = loc_build_labels(b->result);
    int32_t *grp = malloc((nl ? nl : 1) * sizeof *grp);
    uint8_t *mixed = calloc(nl ? nl : 1, 1), *seen = calloc(nl ? nl : 1, 1);
    if (grp && mixed && seen) {
        for (size_t i = 0; i < b->n; i++) {
            int32_t l = lab[i], m = b->member[k][i];
            if (!seen[l]) {
                seen[l] = 1;
                grp[l] = m;
            } else if (grp[l] != m) {
                mixed[l] = 1;
            }
        }
        for (size_t l = 0; l < nl; l++)
            ok += seen[l] && !mixed[l];
    }
    free(grp);
    free(mixed);
    free(seen);
    return ok;
}

static void print_quality(const cli_inputs *in, const cli_built *b)
{
    const loc_build_stats *s = loc_build_stats_get(b->result);
    const int32_t *lab = loc_build_labels(b->result);
    size_t nl = loc_build_count(b->result);
    printf("quality      R^2 of zone rates explained by locality means:");
    size_t which[2];
    const char *names[2];
    int nn = (int)cli_indicators_with_role(in->zones, LOC_ROLE_BUILD, which, 2);
    for (int k = 0; k < nn; k++)
        names[k] = loc_zones_indicator(in->zones, which[k])->name;
    for (int k = 0; k < nn; k++) {
        double r2 = indicator_r2(in, b, names[k], lab, nl);
        if (!isnan(r2))
            printf(" %s %.3f", names[k], r2);
    }
    printf("\n");
    if (b->ngroupings && b->hard[0] == RESPECT_SOFT) {
        /* the first soft grouping as localities, for comparison */
        const int32_t *m = b->member[0];
        size_t ng = b->groupings[0]->ngroups, present = 0;
        uint8_t *seen = calloc(ng ? ng : 1, 1);
        for (size_t i = 0; seen && i < b->n; i++)
            if (m[i] >= 0 && !seen[m[i]]) {
                seen[m[i]] = 1;
                present++;
            }
        free(seen);
        printf("  baseline   '%s' as localities (%zu):", short_label(b->groupings[0]->label), present);
        for (int k = 0; k < nn; k++) {
            double r2 = indicator_r2(in, b, names[k], m, ng);
            if (!isnan(r2))
                printf(" %s %.3f", names[k], r2);
        }
        printf("\n");
    }
    for (size_t k = 0; k < b->ngroupings; k++) {
        size_t whole, total;
        kept_whole(b, k, -1, &whole, &total);
        printf("  kept whole %zu of %zu groups of '%s' (%.1f%%, %s)%s\n", whole, total, short_label(b->groupings[k]->label),
               total ? 100.0 * (double)whole / (double)total : 100.0, RESPECT_WORD[b->hard[k]],
               b->default_respect ? " [default: intermediate zones]" : "");
        if (b->hard[k] == RESPECT_NEST)
            printf("  nested     %zu of %zu localities within one group of '%s'\n", nested_in(b, k), nl,
                   short_label(b->groupings[k]->label));
    }
    printf("  objective  %.4f after construction, %.4f after greedy descent, %.4f final (%s)\n",
           s->objective_construct, s->objective_greedy, s->objective,
           s->best_start < 0 ? "no annealing start improved on the descent" : "an annealing start won");
    printf("  search     %llu moves costed, %llu made, %llu needed a contiguity search; "
           "construct %.3f s, descent %.3f s, annealing %.3f s\n",
           (unsigned long long)s->moves_evaluated, (unsigned long long)s->moves_made,
           (unsigned long long)s->contiguity_searches, s->t_construct_s, s->t_greedy_s, s->t_anneal_s);
}

static void print_summary(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, const cli_built *b, const char *path)
{
    const loc_zones *z = in->zones;
    const loc_partition *p = b->partition;
    const loc_build_stats *s = loc_build_stats_get(b->result);
    size_t nl = loc_partition_count(p);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < nl; l++)
        total += loc_partition_population(p, l);
    printf("localities   %zu from %zu zones (%s residents), population ceiling %.0f, floor %.0f\n", nl, b->n,
           cli_count(n1, sizeof n1, total), b->opts.max_pop, b->opts.min_pop);
    if (b->opts.target_pop > 0)
        printf("  target     %.0f residents a locality (bounds 0.7 to 1.3 times it, within the ceiling and floor)\n",
               b->opts.target_pop);
    if (b->area_count)
        printf("  target     localities per council from '%s' (bounds 0.7 to 1.3 times its residents over the count, "
               "within the ceiling and floor)\n", a->per_council);
    if (b->opts.localities_per_council > 0)
        printf("  target     about %zu localities a council (bounds 0.7 to 1.3 times its residents over %zu, within "
               "the ceiling and floor)\n", b->opts.localities_per_council, b->opts.localities_per_council);
    printf("  features   %s (heterogeneity), weights: heterogeneity %g, compactness %g, soft splits %g; seed %llu, "
           "%d start%s\n",
           b->nfeat ? b->feat_names : "none", b->opts.w_het, b->opts.w_compact, b->opts.w_soft,
           (unsigned long long)b->opts.seed, b->opts.starts, b->opts.starts == 1 ? "" : "s");
    if (s->over_ceiling) {
        printf("  reported   %zu localit%s above the ceiling (a single zone or hard group each)\n", s->over_ceiling,
               s->over_ceiling == 1 ? "y" : "ies");
        /* most localities over the ceiling: the hard groups are too big */
        for (size_t k = 0; 4 * s->over_ceiling >= nl && k < b->ngroupings; k++)
            if (b->hard[k] == RESPECT_HARD) {
                printf("  hint       a grouping larger than a locality (wards, say) is better respected as "
                       "':nest': localities inside each group\n");
                break;
            }
    }
    if (s->under_floor)
        printf("  reported   %zu localit%s below the floor (no merge fitted under the ceiling)\n", s->under_floor,
               s->under_floor == 1 ? "y" : "ies");
    if (b->no_boundary)
        printf("  reported   %zu study zone%s without a boundary, in no locality\n", b->no_boundary,
               b->no_boundary == 1 ? "" : "s");
    cli_print_codes_kept(stdout, a->codes_from, b);
    cli_print_feasibility(stdout, b);
    print_quality(in, b);

    const double *area = loc_graph_areas(b->graph);
    double *pops = malloc((nl ? nl : 1) * sizeof *pops);
    if (!pops)
        return;
    /* island links inside localities */
    const int32_t *lab = loc_build_labels(b->result);
    printf("\n%-10s %-26s %5s %8s %8s %8s %8s %8s %6s %6s %s\n", "council", "name", "local", "pop min", "quarter",
           "median", "3 qtrs", "max", "PP", "island", "kept whole");
    for (size_t c = 0; c < loc_zones_ncouncils(z); c++) {
        size_t k = 0;
        for (size_t l = 0; l < nl; l++)
            if (loc_partition_council(p, l) == (int32_t)c)
                pops[k++] = loc_partition_population(p, l);
        if (!k)
            continue;
        qsort(pops, k, sizeof *pops, cmp_double);
        double median = k % 2 ? pops[k / 2] : 0.5 * (pops[k / 2 - 1] + pops[k / 2]);
        /* the size distribution: quartiles by the nearest rank */
        double q1 = pops[(k + 3) / 4 - 1], q3 = pops[(3 * k + 3) / 4 - 1];
        size_t islands = 0;
        for (size_t i = 0; i < b->n; i++)
            for (size_t e = 0; e < loc_graph_degree(b->graph, i); e++) {
                uint32_t j = loc_graph_neighbours(b->graph, i)[e];
                if (j > i && b->council[i] == (int32_t)c && lab[j] == lab[i] &&
                    loc_graph_row_kinds(b->graph, i)[e] == LOC_EDGE_ISLAND)
                    islands++;
            }
        char whole[64] = "-";
        size_t first = 0; /* the first grouping that can be kept whole or split */
        while (first < b->ngroupings && b->hard[first] == RESPECT_NEST)
            first++;
        if (first < b->ngroupings) {
            size_t w, t;
            kept_whole(b, first, (int32_t)c, &w, &t);
            snprintf(whole, sizeof whole, "%zu/%zu", w, t);
        }
        printf("%-10s %-26s %5zu %8.0f %8.0f %8.0f %8.0f %8.0f %6.3f %6zu %s\n", loc_zones_council_code(z, c),
               loc_zones_council_name(z, c), k, pops[0], q1, median, q3, pops[k - 1],
               mean_polsby_popper(ctx, b, (int32_t)c, area), islands, whole);
    }
    free(pops);
    printf("\nwrote        %s\n", path);
}

int cli_make_out_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0777) == 0)
        return CLI_EXIT_OK;
    if (errno == EEXIST) {
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            return CLI_EXIT_OK;
        cli_error("the output folder '%s' exists and is not a folder", dir);
        return CLI_EXIT_DATA;
    }
    cli_error("cannot create the output folder '%s': %s", dir, strerror(errno));
    return CLI_EXIT_DATA;
}

int cmd_build(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("build", "unexpected argument '%s'", a->positional[0]);
    if (a->from)
        return cmd_build_from(ctx, a); /* repair given localities: engine/cli/cmd_repair.c */
    int rc = cli_build_check(a);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    cli_inputs in;
    cli_built b;
    memset(&b, 0, sizeof b);
    if ((rc = cli_load(ctx, a, &in)) || (rc = cli_build(ctx, a, &in, &b)))
        goto done;
    const char *dir = a->out ? a->out : DEFAULT_OUT;
    char path[4096];
    snprintf(path, sizeof path, "%s/zones.csv", dir);
    if ((rc = cli_make_out_dir(dir)))
        goto done;
    if (loc_partition_write_zones_csv(ctx, b.partition, path)) {
        rc = cli_fail(ctx);
        goto done;
    }
    char fpath[4096];
    snprintf(fpath, sizeof fpath, "%s/feasibility.csv", dir);
    if ((rc = cli_write_feasibility(ctx, &in, &b, fpath)))
        goto done;
    print_summary(ctx, a, &in, &b, path);
done:
    cli_built_free(&b);
    cli_inputs_free(&in);
    return rc;
}
