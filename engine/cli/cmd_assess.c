/*
 * `localities assess --localities FILE`: the statistics for localities a
 * CPP already has, and the guidance checks (over 10,000 residents, not
 * contiguous, crossing a council boundary), written as the full set of
 * outputs `run` writes through the same writers and staging folder.  The
 * localities come as a zone -> locality CSV or as polygons (any GDAL
 * vector source), told apart by name and content before anything is
 * parsed.  Also the assessment options and summary shared with `run`.
 */
#include "cli.h"

#include "localities/overlay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEFAULT_OUT "localities-out"

int cli_assess_opts(const cli_args *a, loc_assess_opts *o)
{
    loc_assess_opts_init(o);
    const char *cmd = a->command;
    double d;
    int rc = CLI_EXIT_OK;
    if (a->confidence && !(rc = cli_number(cmd, "confidence", a->confidence, 0.5, 0.999999, &d)))
        o->conf = d;
    if (!rc && a->fdr && !(rc = cli_number(cmd, "fdr", a->fdr, 0, 0.5, &d)))
        o->fdr = d;
    /* an effect given here is the analyst's for every indicator: the
     * spec's own effects give way to it */
    if (a->min_effect || a->min_effect_abs) {
        o->effects_from_spec = 0;
        o->min_effect_rel = 0;
    }
    if (!rc && a->min_effect && !(rc = cli_number(cmd, "min-effect", a->min_effect, 0, 10, &d)))
        o->min_effect_rel = d;
    if (!rc && a->min_effect_abs && !(rc = cli_number(cmd, "min-effect-abs", a->min_effect_abs, 0, 1e9, &d)))
        o->min_effect_abs = d;
    if (!rc && a->plan_min && !(rc = cli_number(cmd, "plan-min", a->plan_min, 1, 1000, &d)))
        o->plan_min_poorer = (size_t)d;
    if (!rc && a->plan_domains && !(rc = cli_number(cmd, "plan-domains", a->plan_domains, 0, 100, &d)))
        o->plan_min_domains = (size_t)d;
    if (!rc && a->overdispersion) {
        if (strcmp(a->overdispersion, "none") == 0)
            o->od = LOC_OD_NONE;
        else if (strcmp(a->overdispersion, "multiplicative") == 0)
            o->od = LOC_OD_MULTIPLICATIVE;
        else if (strcmp(a->overdispersion, "additive") == 0)
            o->od = LOC_OD_ADDITIVE;
        else if (strcmp(a->overdispersion, "zones") == 0)
            o->od = LOC_OD_ZONES;
        else
            rc = cli_usage_error(cmd, "--overdispersion must be none, multiplicative, additive or zones, not '%s'",
                                 a->overdispersion);
    }
    if (!rc && a->spread && strcmp(a->spread, "localities") != 0 && strcmp(a->spread, "respected") != 0)
        rc = cli_usage_error(cmd, "--spread must be localities or respected, not '%s'", a->spread);
    if (!rc && a->fdr_method) {
        if (strcmp(a->fdr_method, "by") == 0)
            o->fdr_method = LOC_FDR_BY;
        else if (strcmp(a->fdr_method, "bh") == 0)
            o->fdr_method = LOC_FDR_BH;
        else
            rc = cli_usage_error(cmd, "--fdr-method must be by or bh, not '%s'", a->fdr_method);
    }
    if (!rc && a->max_pop && !(rc = cli_number(cmd, "max-pop", a->max_pop, 1, 1e9, &d)))
        o->max_pop = d;
    return rc;
}

/* Spiegelhalter's phi per tested indicator against Scotland, on one line
 * (the rest is in overdispersion.csv). */
static void print_dispersion(FILE *f, const loc_zones *z, const loc_assess *as)
{
    static const char *const how[] = {"none (counts as independent draws)", "multiplicative phi",
                                      "additive tau^2", "the zones' spread inside localities (design effect)"};
    fprintf(f, "  overdispersion  allowance: %s; phi against Scotland:", how[loc_assess_options(as)->od]);
    size_t shown = 0, n = 0;
    for (size_t j = 0; j < loc_zones_nindicators(z); j++) {
        if (!loc_assess_tested(as, j))
            continue;
        n++;
        if (shown >= 6)
            continue;
        const loc_assess_disp *d = loc_assess_dispersion(as, j, LOC_CMP_SCOTLAND);
        fprintf(f, "%s %s %.3g", shown ? "," : "", loc_zones_indicator(z, j)->name, d->phi);
        shown++;
    }
    if (n > shown)
        fprintf(f, " and %zu more", n - shown);
    fprintf(f, " (overdispersion.csv)\n");
}

void cli_spread_groups(const cli_args *a, const loc_problem *b, loc_assess_opts *o)
{
    if (!a->spread || strcmp(a->spread, "respected") != 0)
        return;
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->kind[k] == LOC_RESPECT_SOFT && b->groupings[k]) {
            o->spread_group = b->groupings[k]->member;
            o->nspread_groups = b->groupings[k]->ngroups;
            return;
        }
}

void cli_print_assessment(FILE *f, const loc_inputs *in, const loc_partition *p, const loc_assess *as)
{
    const loc_zones *z = in->zones;
    size_t nl = loc_partition_count(p), over = 0, cross = 0, discont = 0, checked = 0;
    for (size_t k = 0; k < nl; k++) {
        over += loc_assess_over_ceiling(as, k);
        cross += loc_assess_crosses_council(as, k);
        discont += loc_assess_discontiguous(as, k) == 1;
        checked += loc_assess_discontiguous(as, k) >= 0;
    }
    fprintf(f, "assessment   %zu localities x %zu indicators x 2 comparators: %zu tests\n", nl,
            loc_zones_nindicators(z), loc_assess_ntests(as));
    fprintf(f, "  rule       %s\n", loc_assess_rule(as));
    fprintf(f, "  plans      %zu of %zu localities qualify\n", loc_assess_nqualifying(as), nl);
    print_dispersion(f, z, as);
    fprintf(f, "  guidance   %zu over %.0f residents, %zu crossing a council boundary, ", over,
            loc_assess_options(as)->max_pop, cross);
    if (checked)
        fprintf(f, "%zu not contiguous\n", discont);
    else
        fprintf(f, "contiguity not checked (no boundaries)\n");
    /* the qualifying localities, most poorer indicators first, at most 40 */
    size_t shown = 0;
    for (size_t want = loc_zones_nindicators(z) * 2 + 1; want-- > 0 && shown < 40;)
        for (size_t k = 0; k < nl && shown < 40; k++) {
            size_t pc = loc_assess_poorer(as, k, LOC_CMP_COUNCIL_REST), ps = loc_assess_poorer(as, k, LOC_CMP_SCOTLAND);
            if (!loc_assess_qualifies(as, k) || pc + ps != want)
                continue;
            if (!shown)
                fprintf(f, "\n%-16s %-34s %9s %7s %7s  %s\n", "locality", "name", "residents", "poorer", "poorer",
                        "guidance");
            if (!shown)
                fprintf(f, "%-16s %-34s %9s %7s %7s\n", "", "", "", "council", "Scotland");
            shown++;
            char g[96] = "";
            if (loc_assess_over_ceiling(as, k))
                strcat(g, "over ceiling; ");
            if (loc_assess_discontiguous(as, k) == 1)
                strcat(g, "not contiguous; ");
            if (loc_assess_crosses_council(as, k))
                strcat(g, "crosses councils; ");
            size_t gl = strlen(g);
            if (gl >= 2)
                g[gl - 2] = 0; /* no separator after the last check */
            fprintf(f, "%-16s %-34s %9.0f %7zu %7zu  %s\n", loc_partition_code(p, k), loc_partition_name(p, k),
                    loc_partition_population(p, k), pc, ps, g);
            fprintf(f, "%-16s why: %s\n", "", loc_assess_reason(as, k));
        }
    if (loc_assess_nqualifying(as) > shown)
        fprintf(f, "... and %zu more in localities.csv\n", loc_assess_nqualifying(as) - shown);
}

/* 1 when path looks like a vector source of locality polygons rather
 * than a zone -> locality CSV: a folder (a shapefile folder, a FileGDB),
 * a geographic extension, a NUL byte near the start (GeoPackage,
 * FlatGeobuf, shapefile) or a JSON object (GeoJSON). */
int cli_looks_like_polygons(const char *path)
{
    static const char *const ext[] = {".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".gdb", ".sqlite"};
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0; /* the CSV reader names the missing file */
    if (S_ISDIR(sb.st_mode))
        return 1;
    size_t len = strlen(path);
    for (size_t k = 0; k < sizeof ext / sizeof *ext; k++) {
        size_t el = strlen(ext[k]);
        if (len > el && strcasecmp(path + len - el, ext[k]) == 0)
            return 1;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (memchr(buf, 0, n))
        return 1;
    size_t i = 0;
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        i = 3; /* a byte-order mark */
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i < n && buf[i] == '{';
}

/* Locality polygons: the code field named by --locality-column, else the
 * first of a few common names. */
loc_boundaries *cli_read_locality_polygons(loc_ctx *ctx, const cli_args *a, const char *path)
{
    static const char *const fields[] = {"locality_code", "code", "locality"};
    loc_boundary_opts o = {0};
    o.assume_crs = a->crs;
    loc_boundaries *b = NULL;
    if (a->locality_column) {
        o.zone_field = a->locality_column;
        b = loc_boundaries_read(ctx, path, &o);
    } else {
        for (size_t k = 0; k < sizeof fields / sizeof *fields && !b; k++) {
            o.zone_field = fields[k];
            if (!(b = loc_boundaries_read(ctx, path, &o)) && !strstr(loc_errmsg(ctx), "': no field '"))
                break;
        }
        if (!b && strstr(loc_errmsg(ctx), "': no field '"))
            loc_error(ctx, LOC_EDATA, "'%s': no locality code field (looked for locality_code, code, locality); "
                      "name it with --locality-column", path);
    }
    /* the boundary reader speaks of zones; these are localities */
    if (!b && (strstr(loc_errmsg(ctx), "no usable zone geometries") || strstr(loc_errmsg(ctx), "no attribute fields")))
        loc_error(ctx, LOC_EDATA, "'%s': no locality polygons (an empty layer, or no feature with a usable polygon)",
                  path);
    return b;
}

/* zones_split.csv beside the other outputs (polygon input only). */
typedef struct split_out {
    const loc_partition *p;
    const loc_zone_place *place;
} split_out;

static loc_status write_split(loc_ctx *ctx, void *ud, loc_outset *st)
{
    const split_out *s = ud;
    return loc_write_zones_split_csv(ctx, s->p, s->place, loc_outset_path(st, "zones_split.csv"));
}

int cmd_assess(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("assess", "unexpected argument '%s'", a->positional[0]);
    if (!a->localities)
        return cli_usage_error("assess", "--localities FILE is required (a zone -> locality CSV or locality polygons)");
    loc_assess_opts ao;
    int rc = cli_assess_opts(a, &ao);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    int polygons = cli_looks_like_polygons(a->localities);
    cli_progress pr;
    cli_progress_init(&pr, a, polygons ? 6 : 5);
    loc_inputs in;
    loc_problem b;
    loc_outset st;
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    loc_lookup *lk = NULL;
    loc_boundaries *polys = NULL;
    loc_zone_place *place = NULL;
    loc_place_stats ps;
    loc_partition *p = NULL;
    loc_assess *as = NULL;
    memset(&in, 0, sizeof in);
    /* The localities file is read first: a wrong file or column is
     * reported before the (slow) boundaries and indicators are loaded. */
    if (polygons) {
        if (!(polys = cli_read_locality_polygons(ctx, a, a->localities))) {
            rc = cli_fail(ctx);
            goto done;
        }
    } else {
        if (!(lk = loc_lookup_read(ctx, a->localities, NULL))) {
            rc = cli_fail(ctx);
            goto done;
        }
        if (a->locality_column && loc_lookup_col(lk, a->locality_column) < 0) {
            cli_error("'%s': no column '%s'", a->localities, a->locality_column);
            rc = CLI_EXIT_DATA;
            goto done;
        }
    }
    cli_step(&pr, "loading '%s' and '%s'", a->boundaries, a->indicators);
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    if (polygons) {
        cli_step(&pr, "placing %zu zones in %zu locality polygons", loc_zones_nstudy(in.zones),
                 loc_boundaries_count(polys));
        if (!(place = malloc((loc_zones_count(in.zones) + 1) * sizeof *place))) {
            cli_error("out of memory");
            rc = CLI_EXIT_DATA;
            goto done;
        }
        p = loc_partition_from_polygons(ctx, in.zones, in.boundaries, polys, place, &ps);
    } else {
        p = loc_partition_from_lookup(ctx, in.zones, lk, a->locality_column);
        if (p && loc_partition_check_lookup(ctx, in.zones, lk, a->locality_column, p, a->strict)) {
            loc_partition_destroy(p);
            p = NULL;
        }
    }
    if (!p) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_graph_only(ctx, a, &in, &b)))
        goto done;
    cli_step(&pr, "assessing %zu localities on %zu indicators", loc_partition_count(p),
             loc_zones_nindicators(in.zones));
    if (!(as = loc_assess_run(ctx, in.zones, p, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    const char *out = a->out ? a->out : DEFAULT_OUT;
    split_out so = {p, place};
    cli_extra_writer extra = {write_split, &so, NULL};
    if ((rc = cli_write_outputs(ctx, a, &in, &b, p, as, out, &pr, &st, polygons ? &extra : NULL)))
        goto done;
    cli_progress_done(&pr);
    if (polygons) {
        char n1[32], n2[32];
        printf("placed       %zu zones (%s residents) in %zu locality polygons; %zu (%s residents, %.2f%%) "
               "have less than %.0f%% of their area in their locality (zones_split.csv); %.2f%% of the area "
               "lies outside its zone's locality\n",
               ps.zones, cli_count(n1, sizeof n1, ps.pop), loc_boundaries_count(polys), ps.approx,
               cli_count(n2, sizeof n2, ps.approx_pop), ps.pop > 0 ? 100 * ps.approx_pop / ps.pop : 0.0,
               100 * LOC_EXACT_SHARE, ps.area_m2 > 0 ? 100 * ps.approx_area_m2 / ps.area_m2 : 0.0);
    }
    cli_print_assessment(stdout, &in, p, as);
    printf("\nwrote        %s/:", out);
    for (size_t k = 0; k < st.nnames; k++)
        printf(" %s", st.names[k]);
    printf("\n");
done:
    if (rc) {
        loc_outset_abort(&st);
        cli_progress_done(&pr);
    }
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_lookup_destroy(lk);
    loc_boundaries_destroy(polys);
    free(place);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}
