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
