/*
 * Tests for the contiguity graph: hand-made coverages built from WKT (a
 * lattice, a ring around a hole, a corner contact, slivers, an island in a
 * multipolygon, two councils), every error message, the exact text of the
 * three writers and their atomic replacement, allocation failures, and the
 * real 2011 data zones checked against an independent GEOS brute force
 * (pairwise boundary intersection over STRtree candidates).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/graph.h"
#include "localities/strmap.h"
#include "internal.h"
#include "test_util.h"

#include <dirent.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Fixtures
 * --------------------------------------------------------------------- */

#define MAXZ 64

typedef struct fx {
    loc_ctx *ctx;
    size_t n;
    GEOSGeometry *g[MAXZ];
    const char *codes[MAXZ];
    int32_t council[MAXZ];
    char msgs[8192];  /* every report, one per line, "info: " or "warn: " first */
} fx;

static void collect(void *ud, loc_level level, const char *msg)
{
    fx *f = ud;
    size_t len = strlen(f->msgs);
    snprintf(f->msgs + len, sizeof f->msgs - len, "%s: %s\n", level == LOC_WARN ? "warn" : level == LOC_DETAIL ? "detail" : "info", msg);
}

static void fx_init(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = loc_ctx_create(NULL);
    assert_non_null(f->ctx);
    loc_ctx_set_report(f->ctx, collect, f);
}

/* Add a zone from WKT with a code and a council. */
static void add(fx *f, const char *code, int32_t council, const char *wkt)
{
    GEOSContextHandle_t h = loc_geos(f->ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    assert_non_null(r);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, wkt);
    GEOSWKTReader_destroy_r(h, r);
    assert_non_null(g);
    assert_true(f->n < MAXZ);
    f->g[f->n] = g;
    f->codes[f->n] = code;
    f->council[f->n] = council;
    f->n++;
}

static void fx_free(fx *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->g[i])
            GEOSGeom_destroy_r(loc_geos(f->ctx), f->g[i]);
    loc_ctx_destroy(f->ctx);
}

static loc_graph *build(fx *f, const loc_graph_opts *o, int with_councils)
{
    loc_graph_opts d;
    if (!o) {
        loc_graph_opts_init(&d);
        o = &d;
    }
    loc_graph_opts oc = *o;
    oc.codes = f->codes;
    loc_graph *g = loc_graph_build(f->ctx, f->n, (const GEOSGeometry *const *)f->g, with_councils ? f->council : NULL,
                                   &oc);
    if (!g)
        fail_msg("build failed: %s", loc_errmsg(f->ctx));
    return g;
}

/* Symmetry, sorted rows, no self loops: the invariants every graph keeps. */
static void check_invariants(const loc_graph *g)
{
    size_t n = loc_graph_count(g);
    const size_t *off = loc_graph_offsets(g);
    assert_int_equal(off[0], 0);
    for (size_t i = 0; i < n; i++) {
        const uint32_t *nb = loc_graph_neighbours(g, i);
        for (size_t k = 0; k < loc_graph_degree(g, i); k++) {
            assert_int_not_equal(nb[k], i);
            if (k)
                assert_true(nb[k - 1] < nb[k]);
            loc_edge_kind kb;
            double back = loc_graph_shared_len(g, nb[k], i, &kb);
            assert_true(back == loc_graph_row_lengths(g, i)[k]);
            assert_int_equal(kb, loc_graph_row_kinds(g, i)[k]);
        }
    }
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    return test_tmpdir_create(tmpdir, sizeof tmpdir, "graph");
}

static int remove_dir(void **state)
{
    (void)state;
    return test_tmpdir_remove(tmpdir);
}

/* Entries in tmpdir other than . and .. */
static int dir_entries(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            k++;
    closedir(d);
    return k;
}

/* A rows x cols lattice of side-metre squares, codes "r.c". */
static void lattice(fx *f, int rows, int cols, double side)
{
    static char names[MAXZ][24]; /* two ints and a dot, whatever their size */
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            char wkt[256];
            double x = c * side, y = r * side;
            snprintf(wkt, sizeof wkt, "POLYGON((%g %g,%g %g,%g %g,%g %g,%g %g))", x, y, x + side, y, x + side,
                     y + side, x, y + side, x, y);
            snprintf(names[f->n], sizeof names[f->n], "%d.%d", r, c);
            add(f, names[f->n], 0, wkt);
        }
}

/* ---------------------------------------------------------------------
 * Hand-made coverages
 * --------------------------------------------------------------------- */

/* A 3 x 4 lattice of 100 m cells, each drawn 2 m short on every side (4 m
 * gaps, as if every zone were simplified on its own): snap_auto sees that
 * the coverage is not clean, chooses 5 m (the first tolerance of its
 * ladder at which the length running beside a neighbour stops growing)
 * and finds all 17 pairs; the clean lattice keeps the default. */
static void test_snap_auto(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    static char wkt[12][160];
    static char codes[12][8];
    for (int r = 0, i = 0; r < 3; r++)
        for (int c = 0; c < 4; c++, i++) {
            double x0 = c * 100 + 2, y0 = r * 100 + 2, x1 = x0 + 96, y1 = y0 + 96;
            snprintf(wkt[i], sizeof wkt[i], "POLYGON((%g %g,%g %g,%g %g,%g %g,%g %g))", x0, y0, x1, y0, x1, y1, x0,
                     y1, x0, y0);
            snprintf(codes[i], sizeof codes[i], "z%d", i);
            add(&f, codes[i], 0, wkt[i]);
        }
    loc_graph *g = build(&f, NULL, 1);
    check_invariants(g);
    const loc_graph_stats *s = loc_graph_stats_get(g);
    assert_int_equal(s->rook, 17);
    assert_int_equal(s->snapped, 17);
    assert_int_equal(s->island_links, 0);
    assert_true(s->snap_m == 5);
    assert_int_equal(s->snap_chosen, 1);
    assert_true(s->exact_m == 0);
    assert_true(fabs(s->boundary_m - 12 * 4 * 96) < 1e-6);
    assert_non_null(strstr(f.msgs, "info: the boundaries are not a clean coverage: "));
    assert_non_null(strstr(f.msgs, "snapping at 5 m, where that share stops growing"));
    loc_graph_destroy(g);

    /* without snap_auto: every cell an island at the default 0.1 m */
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_auto = 0;
    o.link_islands = 0;
    g = build(&f, &o, 1);
    assert_int_equal(loc_graph_stats_get(g)->rook, 0);
    assert_true(loc_graph_stats_get(g)->snap_m == LOC_GRAPH_SNAP_M);
    assert_int_equal(loc_graph_stats_get(g)->snap_chosen, 0);
    loc_graph_destroy(g);
    fx_free(&f);

    /* a clean coverage keeps the default */
    fx_init(&f);
    lattice(&f, 3, 4, 100);
    g = build(&f, NULL, 1);
    assert_true(loc_graph_stats_get(g)->snap_m == LOC_GRAPH_SNAP_M);
    assert_int_equal(loc_graph_stats_get(g)->snap_chosen, 0);
    assert_true(loc_graph_stats_get(g)->exact_m == 2 * 17 * 100);
    assert_string_equal(f.msgs, "");
    loc_graph_destroy(g);
    fx_free(&f);
}

static void test_lattice(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    lattice(&f, 3, 4, 100);
    loc_graph *g = build(&f, NULL, 1);
    check_invariants(g);
    const loc_graph_stats *s = loc_graph_stats_get(g);
    assert_int_equal(s->zones, 12);
    assert_int_equal(s->edges, 3 * 3 + 4 * 2);
    assert_int_equal(s->rook, 17);
    assert_int_equal(s->snapped, 0);
    assert_int_equal(s->queen, 0);
    assert_int_equal(s->island_links, 0);
    assert_int_equal(s->isolated, 0);
    assert_int_equal(s->max_degree, 4);
    assert_true(fabs(s->mean_degree - 34.0 / 12) < 1e-12);
    assert_int_equal(s->councils, 1);
    assert_int_equal(s->split_councils, 0);
    assert_int_equal(loc_graph_components(g, 0), 1);
    /* corner, edge and inner cells */
    assert_int_equal(loc_graph_degree(g, 0), 2);
    assert_int_equal(loc_graph_degree(g, 1), 3);
    assert_int_equal(loc_graph_degree(g, 5), 4);
    assert_int_equal(loc_graph_neighbours(g, 5)[0], 1);
    assert_int_equal(loc_graph_neighbours(g, 5)[3], 9);
    for (size_t e = 0; e < loc_graph_offsets(g)[12]; e++) {
        assert_true(loc_graph_lengths(g)[e] == 100);
        assert_int_equal(loc_graph_kinds(g)[e], LOC_EDGE_ROOK);
    }
    for (size_t i = 0; i < 12; i++) {
        assert_true(loc_graph_perimeters(g)[i] == 400);
        assert_true(loc_graph_areas(g)[i] == 10000);
    }
    assert_true(loc_graph_shared_len(g, 0, 5, NULL) == -1);
    assert_true(loc_graph_shared_len(g, 0, 99, NULL) == -1);
    loc_graph_destroy(g);

    /* queen: diagonal cells touch at a point */
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.queen = 1;
    g = build(&f, &o, 1);
    check_invariants(g);
    s = loc_graph_stats_get(g);
    assert_int_equal(s->rook, 17);
    assert_int_equal(s->queen, 2 * 2 * 3);
    assert_int_equal(loc_graph_degree(g, 0), 3);
    assert_int_equal(loc_graph_degree(g, 5), 8);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 0, 5, &k) == 0);
    assert_int_equal(k, LOC_EDGE_QUEEN);
    loc_graph_destroy(g);
    fx_free(&f);
}

/* A ring whose hole holds another zone, beside a third zone. */
static void test_ring_hole(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "ring", 0, "POLYGON((0 0,30 0,30 30,0 30,0 0),(10 10,20 10,20 20,10 20,10 10))");
    add(&f, "core", 0, "POLYGON((10 10,20 10,20 20,10 20,10 10))");
    add(&f, "east", 0, "POLYGON((30 0,40 0,40 30,30 30,30 15,30 0))");
    loc_graph *g = build(&f, NULL, 1);
    check_invariants(g);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 0, 1, &k) == 40);
    assert_int_equal(k, LOC_EDGE_ROOK);
    /* east has an extra vertex on the shared edge: not identical segments,
     * found by the tolerance pass at the default tolerance */
    assert_true(fabs(loc_graph_shared_len(g, 0, 2, &k) - 30) < 1e-9);
    assert_int_equal(k, LOC_EDGE_ROOK);
    assert_int_equal(loc_graph_stats_get(g)->snapped, 1);
    assert_true(loc_graph_shared_len(g, 1, 2, NULL) == -1);
    assert_true(loc_graph_perimeters(g)[0] == 160);
    assert_true(loc_graph_perimeters(g)[1] == 40);
    assert_true(loc_graph_perimeters(g)[2] == 80);
    loc_graph_destroy(g);

    /* identical segments only: the non-noded edge is missed, and east
     * becomes an island linked at distance 0 */
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_m = 0;
    o.snap_auto = 0;
    g = build(&f, &o, 1);
    assert_true(loc_graph_shared_len(g, 0, 2, &k) == 0);
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_int_equal(loc_graph_components(g, 0), 2);
    loc_graph_destroy(g);
    fx_free(&f);
}

static void test_corner(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "sw", 0, "POLYGON((0 0,10 0,10 10,0 10,0 0))");
    add(&f, "ne", 0, "POLYGON((10 10,20 10,20 20,10 20,10 10))");
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.link_islands = 0;
    loc_graph *g = build(&f, &o, 1);
    assert_int_equal(loc_graph_stats_get(g)->edges, 0);
    assert_int_equal(loc_graph_stats_get(g)->isolated, 2);
    assert_int_equal(loc_graph_components(g, 0), 2);
    assert_int_equal(loc_graph_stats_get(g)->unlinked, 1);
    loc_graph_destroy(g);

    o.queen = 1;
    g = build(&f, &o, 1);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 0, 1, &k) == 0);
    assert_int_equal(k, LOC_EDGE_QUEEN);
    assert_int_equal(loc_graph_stats_get(g)->queen, 1);
    assert_int_equal(loc_graph_stats_get(g)->rook, 0);
    assert_int_equal(loc_graph_components(g, 0), 1);
    loc_graph_destroy(g);

    /* rook with linking: the corner contact becomes an island link at 0 m */
    o.queen = 0;
    o.link_islands = 1;
    g = build(&f, &o, 1);
    assert_true(loc_graph_shared_len(g, 0, 1, &k) == 0);
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_int_equal(loc_graph_nlinks(g), 1);
    assert_true(loc_graph_links(g)[0].dist_m == 0);
    assert_string_equal(f.msgs, "detail: island link: zone 'ne' (part of 1 zone) to zone 'sw', 0 m apart\n"
                                "info: 1 island link joins separate parts of councils, 0 to 0 m apart "
                                "(each in graph.csv as kind 'island', and with --verbose)\n");
    loc_graph_destroy(g);
    fx_free(&f);
}

/* Two squares 0.3 m apart, and two overlapping by 0.2 m (one half a metre
 * higher, so that no edges are collinear). */
static void test_sliver(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "a", 0, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(&f, "b", 0, "POLYGON((100.3 0,200 0,200 100,100.3 100,100.3 0))");
    add(&f, "c", 1, "POLYGON((0 200,100 200,100 300,0 300,0 200))");
    add(&f, "d", 1, "POLYGON((99.8 200.5,200 200.5,200 300.5,99.8 300.5,99.8 200.5))");
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.link_islands = 0;
    o.snap_auto = 0; /* the tolerance as given (test_snap_auto chooses it) */
    loc_graph *g = build(&f, &o, 1);
    assert_int_equal(loc_graph_stats_get(g)->edges, 0);
    loc_graph_destroy(g);

    o.snap_m = 0.5;
    g = build(&f, &o, 1);
    check_invariants(g);
    loc_edge_kind k;
    assert_true(fabs(loc_graph_shared_len(g, 0, 1, &k) - 100) < 1e-9);
    assert_int_equal(k, LOC_EDGE_ROOK);
    /* 99.5 m side by side, plus 0.2 m at each end where the top and bottom
     * edges run within the tolerance */
    assert_true(fabs(loc_graph_shared_len(g, 2, 3, &k) - 99.9) < 1e-9);
    assert_int_equal(loc_graph_stats_get(g)->snapped, 2);
    assert_int_equal(loc_graph_stats_get(g)->edges, 2);
    loc_graph_destroy(g);

    /* a tolerance below the gap finds nothing; queen sees no point either */
    o.snap_m = 0.29;
    o.queen = 1;
    g = build(&f, &o, 1);
    assert_true(loc_graph_shared_len(g, 0, 1, NULL) == -1);
    assert_true(fabs(loc_graph_shared_len(g, 2, 3, NULL) - 99.5) < 1e-9);
    loc_graph_destroy(g);
    fx_free(&f);
}

/* Near-misses at corners: two boundaries crossing at right angles within
 * the tolerance touch at a point, never share a boundary. */
static void test_crossing_corner(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "a", 0, "POLYGON((0 0,10 0,10 10,0 10,0 0))");
    add(&f, "b", 0, "POLYGON((10.2 10.2,20 10.2,20 20,10.2 20,10.2 10.2))");
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_m = 0.5;
    o.link_islands = 0;
    loc_graph *g = build(&f, &o, 1);
    assert_int_equal(loc_graph_stats_get(g)->edges, 0);
    loc_graph_destroy(g);
    o.queen = 1;
    g = build(&f, &o, 1);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 0, 1, &k) == 0);
    assert_int_equal(k, LOC_EDGE_QUEEN);
    loc_graph_destroy(g);
    fx_free(&f);
}

/* An island zone, and a zone whose MultiPolygon has a mainland part and an
 * island part: the island links to the nearest part, 141 m away. */
static void test_island(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "A", 0, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(&f, "B", 0, "POLYGON((100 0,200 0,200 100,100 100,100 0))");
    add(&f, "C", 0, "MULTIPOLYGON(((200 0,300 0,300 100,200 100,200 0)),((200 300,300 300,300 400,200 400,200 300)))");
    add(&f, "D", 0, "POLYGON((0 500,100 500,100 600,0 600,0 500))");
    loc_graph *g = build(&f, NULL, 1);
    check_invariants(g);
    const loc_graph_stats *s = loc_graph_stats_get(g);
    assert_int_equal(s->rook, 2);
    assert_int_equal(s->island_links, 1);
    assert_int_equal(s->isolated, 1);
    assert_int_equal(s->split_councils, 1);
    assert_int_equal(s->unlinked, 0);
    assert_int_equal(loc_graph_components(g, 0), 2);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 2, 3, &k) == 0);
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_int_equal(loc_graph_nlinks(g), 1);
    assert_int_equal(loc_graph_links(g)[0].a, 2);
    assert_int_equal(loc_graph_links(g)[0].b, 3);
    assert_true(fabs(loc_graph_links(g)[0].dist_m - 100 * sqrt(2)) < 1e-9);
    assert_true(loc_graph_perimeters(g)[2] == 800);
    assert_string_equal(f.msgs, "detail: island link: zone 'D' (part of 1 zone) to zone 'C', 141 m apart\n"
                                "info: 1 island link joins separate parts of councils, 141 to 141 m apart "
                                "(each in graph.csv as kind 'island', and with --verbose)\n");
    loc_graph_destroy(g);

    /* a limit below the distance refuses the link, with a warning */
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.max_link_m = 100;
    f.msgs[0] = '\0';
    g = build(&f, &o, 1);
    assert_int_equal(loc_graph_stats_get(g)->island_links, 0);
    assert_int_equal(loc_graph_stats_get(g)->unlinked, 1);
    assert_string_equal(f.msgs, "warn: island link not made: zone 'D' (part of 1 zone) is 141 m from zone 'C', "
                                "beyond the 100 m limit\n");
    loc_graph_destroy(g);
    fx_free(&f);
}

/* Several parts: links made shortest first, then the rounds repeat until
 * one part is left (two islands nearer each other than to the mainland). */
static void test_island_chain(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "main", 0, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(&f, "near", 0, "POLYGON((0 1000,100 1000,100 1100,0 1100,0 1000))");
    add(&f, "far", 0, "POLYGON((0 1150,100 1150,100 1250,0 1250,0 1150))");
    add(&f, "alone", 0, "POLYGON((5000 0,5100 0,5100 100,5000 100,5000 0))");
    /* the tolerance as given: here most of the boundary runs within 50 m
     * of another zone, and snap_auto would snap near and far together */
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_auto = 0;
    loc_graph *g = build(&f, &o, 1);
    check_invariants(g);
    assert_int_equal(loc_graph_components(g, 0), 4);
    assert_int_equal(loc_graph_nlinks(g), 3);
    /* near-far (50 m) first; then near+far to main (900 m), alone to main (4900 m) */
    assert_int_equal(loc_graph_links(g)[0].a, 1);
    assert_int_equal(loc_graph_links(g)[0].b, 2);
    assert_true(loc_graph_shared_len(g, 0, 1, NULL) == 0);
    assert_true(loc_graph_shared_len(g, 0, 3, NULL) == 0);
    assert_int_equal(loc_graph_stats_get(g)->unlinked, 0);
    loc_graph_destroy(g);
    fx_free(&f);
}

/* Links never cross councils; edges across councils stay; zones in no
 * council are neither counted nor linked. */
static void test_councils(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "A", 0, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(&f, "B", 0, "POLYGON((100 0,200 0,200 100,100 100,100 0))");
    add(&f, "E", 1, "POLYGON((200 0,300 0,300 100,200 100,200 0))");
    add(&f, "F", 1, "POLYGON((200 1000,300 1000,300 1100,200 1100,200 1000))");
    add(&f, "G", 0, "POLYGON((310 1000,410 1000,410 1100,310 1100,310 1000))");
    add(&f, "X", -1, "POLYGON((2000 0,2100 0,2100 100,2000 100,2000 0))");
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_auto = 0; /* F and G 10 m apart would make the coverage look unclean */
    loc_graph *g = build(&f, &o, 1);
    check_invariants(g);
    loc_edge_kind k;
    assert_true(loc_graph_shared_len(g, 1, 2, &k) == 100); /* B-E across councils */
    assert_int_equal(k, LOC_EDGE_ROOK);
    assert_true(loc_graph_shared_len(g, 3, 4, NULL) == -1); /* F-G 10 m apart, other councils */
    assert_true(loc_graph_shared_len(g, 2, 3, &k) == 0);    /* F to E, 900 m */
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_true(loc_graph_shared_len(g, 1, 4, &k) == 0); /* G to B, 906 m */
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_int_equal(loc_graph_degree(g, 5), 0);
    assert_int_equal(loc_graph_ncouncils(g), 2);
    assert_int_equal(loc_graph_council_id(g, 0), 0);
    assert_int_equal(loc_graph_council_id(g, 1), 1);
    assert_int_equal(loc_graph_components(g, 0), 2);
    assert_int_equal(loc_graph_components(g, 1), 2);
    assert_int_equal(loc_graph_components(g, 7), 0);
    assert_int_equal(loc_graph_components(g, -1), 0);
    const loc_graph_stats *s = loc_graph_stats_get(g);
    assert_int_equal(s->councils, 2);
    assert_int_equal(s->split_councils, 2);
    assert_int_equal(s->island_links, 2);
    assert_int_equal(s->unlinked, 0);
    assert_int_equal(s->isolated, 3);
    assert_string_equal(f.msgs, "detail: island link: zone 'F' (part of 1 zone) to zone 'E', 900 m apart\n"
                                "detail: island link: zone 'G' (part of 1 zone) to zone 'B', 907 m apart\n"
                                "info: 2 island links join separate parts of councils, 900 to 907 m apart "
                                "(each in graph.csv as kind 'island', and with --verbose)\n");
    loc_graph_destroy(g);

    /* without councils everything is one area: F and G link directly */
    g = build(&f, &o, 0);
    assert_true(loc_graph_shared_len(g, 3, 4, &k) == 0);
    assert_int_equal(k, LOC_EDGE_ISLAND);
    assert_int_equal(loc_graph_ncouncils(g), 1);
    assert_int_equal(loc_graph_components(g, 0), 4);
    loc_graph_destroy(g);

    /* council ids need not be dense, nor smaller than the zone count */
    int32_t sparse[] = {900000, 900000, 7, 7, 900000, -1};
    memcpy(f.council, sparse, sizeof sparse);
    g = build(&f, NULL, 1);
    assert_int_equal(loc_graph_ncouncils(g), 2);
    assert_int_equal(loc_graph_council_id(g, 0), 7);
    assert_int_equal(loc_graph_council_id(g, 1), 900000);
    assert_int_equal(loc_graph_components(g, 900000), 2);
    assert_int_equal(loc_graph_components(g, 7), 2);
    assert_int_equal(loc_graph_components(g, 0), 0);
    assert_true(loc_graph_shared_len(g, 1, 4, &k) == 0);
    assert_int_equal(k, LOC_EDGE_ISLAND);
    loc_graph_destroy(g);
    fx_free(&f);
}

static void test_empty_graph(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_graph *g = loc_graph_build(ctx, 0, NULL, NULL, NULL);
    assert_non_null(g);
    assert_int_equal(loc_graph_count(g), 0);
    assert_int_equal(loc_graph_ncouncils(g), 0);
    assert_int_equal(loc_graph_offsets(g)[0], 0);
    assert_int_equal(loc_graph_stats_get(g)->edges, 0);
    loc_graph_destroy(g);
    loc_graph_destroy(NULL);
    loc_ctx_destroy(ctx);
}

/* ---------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

static void expect_fail(fx *f, const loc_graph_opts *o, int councils, loc_status code, const char *msg)
{
    loc_graph_opts oc;
    loc_graph_opts_init(&oc);
    if (o)
        oc = *o;
    oc.codes = f->codes;
    loc_graph *g = loc_graph_build(f->ctx, f->n, (const GEOSGeometry *const *)f->g, councils ? f->council : NULL, &oc);
    assert_null(g);
    assert_int_equal(loc_errcode(f->ctx), code);
    assert_string_equal(loc_errmsg(f->ctx), msg);
}

static void test_errors(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    add(&f, "A", 0, "POLYGON((0 0,1 0,1 1,0 1,0 0))");
    add(&f, "B", 1, "POLYGON((1 0,2 0,2 1,1 1,1 0))");

    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.snap_m = -1;
    expect_fail(&f, &o, 1, LOC_EINVAL, "snapping tolerance must be a finite number of metres >= 0 (got -1)");
    o.snap_m = NAN;
    expect_fail(&f, &o, 1, LOC_EINVAL, "snapping tolerance must be a finite number of metres >= 0 (got nan)");
    loc_graph_opts_init(&o);
    o.max_link_m = INFINITY;
    expect_fail(&f, &o, 1, LOC_EINVAL, "maximum island link must be a finite number of metres >= 0 (got inf)");

    assert_null(loc_graph_build(f.ctx, 2, NULL, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "no geometries given for 2 zones");

    GEOSGeometry *keep = f.g[1];
    f.g[1] = NULL;
    expect_fail(&f, NULL, 1, LOC_EINVAL, "zone 'B' has no geometry");
    /* without codes, zones are named by index */
    assert_null(loc_graph_build(f.ctx, 2, (const GEOSGeometry *const *)f.g, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "zone '#1' has no geometry");
    f.g[1] = keep;

    add(&f, "P", 0, "POINT(5 5)");
    expect_fail(&f, NULL, 1, LOC_EINVAL, "zone 'P': geometry is a Point, not a polygon");
    GEOSGeom_destroy_r(loc_geos(f.ctx), f.g[2]);
    f.g[2] = NULL;
    f.n = 2;
    add(&f, "E", 0, "POLYGON EMPTY");
    expect_fail(&f, NULL, 1, LOC_EINVAL, "zone 'E': empty geometry");
    GEOSGeom_destroy_r(loc_geos(f.ctx), f.g[2]);
    f.g[2] = NULL;
    f.n = 2;
    add(&f, "L", 0, "LINESTRING(0 0,1 1)");
    expect_fail(&f, NULL, 1, LOC_EINVAL, "zone 'L': geometry is a LineString, not a polygon");
    GEOSGeom_destroy_r(loc_geos(f.ctx), f.g[2]);
    f.g[2] = NULL;
    f.n = 2;
    add(&f, "W", 0, "POLYGON((0 0,1e13 0,1e13 1,0 1,0 0))");
    expect_fail(&f, NULL, 1, LOC_EINVAL, "zone 'W': coordinate out of range (1e+13, 0)");
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Writers
 * --------------------------------------------------------------------- */

/* A, B share 100 m; C is an island linked to B; "X,1" needs quoting. */
static loc_graph *writer_graph(fx *f)
{
    fx_init(f);
    add(f, "A", 0, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(f, "B", 0, "POLYGON((100 0,200 0,200 100,100 100,100 0))");
    add(f, "C", 0, "POLYGON((300 0,400 0,400 50,300 50,300 0))");
    return build(f, NULL, 1);
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void test_write_csv(void **state)
{
    (void)state;
    fx f;
    loc_graph *g = writer_graph(&f);
    char p[512];
    path_in(p, sizeof p, "graph.csv");
    assert_int_equal(loc_graph_write_csv(f.ctx, g, f.codes, p), LOC_OK);
    assert_string_equal(slurp(p), "zone_a,zone_b,shared_len_m,kind\n"
                                  "A,B,100.00,rook\n"
                                  "B,C,0.00,island\n");
    const char *quoted[] = {"X,1", "say \"hi\"", "C"};
    assert_int_equal(loc_graph_write_csv(f.ctx, g, quoted, p), LOC_OK);
    assert_string_equal(slurp(p), "zone_a,zone_b,shared_len_m,kind\n"
                                  "\"X,1\",\"say \"\"hi\"\"\",100.00,rook\n"
                                  "\"say \"\"hi\"\"\",C,0.00,island\n");
    assert_int_equal(dir_entries(), 1);
    unlink(p);
    loc_graph_destroy(g);
    fx_free(&f);
}

static void test_write_gal_gwt(void **state)
{
    (void)state;
    fx f;
    loc_graph *g = writer_graph(&f);
    char p[512];
    path_in(p, sizeof p, "graph.gal");
    assert_int_equal(loc_graph_write_gal(f.ctx, g, f.codes, p, "dz2011", "dz11_code"), LOC_OK);
    assert_string_equal(slurp(p), "0 3 dz2011 dz11_code\n"
                                  "A 1\nB\n"
                                  "B 2\nA C\n"
                                  "C 1\nB\n");
    assert_int_equal(loc_graph_write_gal(f.ctx, g, f.codes, p, NULL, "my field"), LOC_OK);
    assert_string_equal(slurp(p), "0 3 unknown my_field\nA 1\nB\nB 2\nA C\nC 1\nB\n");
    unlink(p);
    path_in(p, sizeof p, "graph.gwt");
    assert_int_equal(loc_graph_write_gwt(f.ctx, g, f.codes, p, "dz2011", "dz11_code"), LOC_OK);
    assert_string_equal(slurp(p), "0 3 dz2011 dz11_code\n"
                                  "A B 100.00\n"
                                  "B A 100.00\n"
                                  "B C 0.00\n"
                                  "C B 0.00\n");
    unlink(p);
    loc_graph_destroy(g);

    /* a zone with no neighbour still has its GAL record */
    fx_free(&f);
    fx_init(&f);
    add(&f, "A", 0, "POLYGON((0 0,1 0,1 1,0 1,0 0))");
    add(&f, "B", 1, "POLYGON((5 0,6 0,6 1,5 1,5 0))");
    g = build(&f, NULL, 1);
    path_in(p, sizeof p, "graph.gal");
    assert_int_equal(loc_graph_write_gal(f.ctx, g, f.codes, p, "l", "id"), LOC_OK);
    assert_string_equal(slurp(p), "0 2 l id\nA 0\n\nB 0\n\n");
    unlink(p);
    assert_int_equal(dir_entries(), 0);
    loc_graph_destroy(g);
    fx_free(&f);
}

static void test_write_errors(void **state)
{
    (void)state;
    fx f;
    loc_graph *g = writer_graph(&f);
    char p[512], msg[1024];

    /* a code GAL cannot hold: nothing written, an existing file untouched */
    path_in(p, sizeof p, "graph.gal");
    FILE *fp = fopen(p, "w");
    fputs("old\n", fp);
    fclose(fp);
    const char *spaced[] = {"A", "B 2", "C"};
    assert_int_equal(loc_graph_write_gal(f.ctx, g, spaced, p, NULL, NULL), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': zone code 'B 2' contains white space", p);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    assert_string_equal(slurp(p), "old\n");
    const char *empty[] = {"A", "", "C"};
    assert_int_equal(loc_graph_write_gwt(f.ctx, g, empty, p, NULL, NULL), LOC_EINVAL);
    snprintf(msg, sizeof msg, "cannot write '%s': zone 1 has an empty code", p);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    unlink(p);

    /* a folder that does not exist */
    path_in(p, sizeof p, "missing/graph.csv");
    assert_int_equal(loc_graph_write_csv(f.ctx, g, f.codes, p), LOC_EIO);
    snprintf(msg, sizeof msg, "cannot write '%s': No such file or directory", p);
    assert_string_equal(loc_errmsg(f.ctx), msg);

    /* the rename fails (the target is a folder): the temporary goes */
    path_in(p, sizeof p, "adir");
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(loc_graph_write_gwt(f.ctx, g, f.codes, p, NULL, NULL), LOC_EIO);
    snprintf(msg, sizeof msg, "cannot write '%s': Is a directory", p);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    assert_int_equal(dir_entries(), 1);
    rmdir(p);

    loc_graph_destroy(g);
    fx_free(&f);
}

/* ---------------------------------------------------------------------
 * Allocation failures
 * --------------------------------------------------------------------- */

typedef struct counting {
    long fail_after; /* successful allocations allowed; -1 never fail */
    long calls;
    long live;
} counting;

static void *count_realloc(void *ud, void *ptr, size_t size)
{
    counting *c = ud;
    if (c->fail_after >= 0 && c->calls >= c->fail_after)
        return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p) {
        c->calls++;
        if (!ptr)
            c->live++;
    }
    return p;
}

static void count_free(void *ud, void *ptr)
{
    counting *c = ud;
    if (ptr) {
        c->live--;
        free(ptr);
    }
}

static void test_graph_alloc_failures(void **state)
{
    (void)state;
    static const char *wkt[] = {
        "POLYGON((0 0,100 0,100 100,0 100,0 0))",
        "POLYGON((100 0,200 0,200 100,100 100,100 50,100 0))",
        "POLYGON((0 100,100 100,100 200,0 200,0 100))",
        "POLYGON((100.05 100,200 100,200 200,100.05 200,100.05 100))",
        "MULTIPOLYGON(((500 0,600 0,600 100,500 100,500 0)),((0 900,100 900,100 950,0 950,0 900)))",
        "POLYGON((900 900,950 900,950 950,900 950,900 900))",
    };
    static const char *codes[] = {"a", "b", "c", "d", "e", "f"};
    int32_t council[] = {0, 0, 0, 0, 0, 1};
    long n_ok = -1;
    for (long n = 0; n < 10000 && n_ok < 0; n++) {
        counting c = {-1, 0, 0};
        loc_allocator a = {count_realloc, count_free, &c};
        loc_ctx *ctx = loc_ctx_create(&a);
        assert_non_null(ctx);
        GEOSContextHandle_t h = loc_geos(ctx);
        GEOSWKTReader *r = GEOSWKTReader_create_r(h);
        GEOSGeometry *g[6];
        for (int i = 0; i < 6; i++)
            g[i] = GEOSWKTReader_read_r(h, r, wkt[i]);
        GEOSWKTReader_destroy_r(h, r);
        loc_graph_opts o;
        loc_graph_opts_init(&o);
        o.queen = 1;
        o.codes = codes;
        c.fail_after = c.calls + n;
        loc_graph *gr = loc_graph_build(ctx, 6, (const GEOSGeometry *const *)g, council, &o);
        if (gr) {
            char p[512];
            path_in(p, sizeof p, "alloc.csv");
            /* the writers allocate too: fail them until they succeed */
            loc_status st = loc_graph_write_csv(ctx, gr, codes, p);
            if (st) {
                assert_int_equal(st, LOC_ENOMEM);
            } else {
                n_ok = n;
                assert_int_equal(loc_graph_stats_get(gr)->island_links, 1);
                assert_int_equal(loc_graph_stats_get(gr)->snapped, 3);
                unlink(p);
            }
            loc_graph_destroy(gr);
        } else {
            assert_int_equal(loc_errcode(ctx), LOC_ENOMEM);
        }
        for (int i = 0; i < 6; i++)
            GEOSGeom_destroy_r(h, g[i]);
        loc_ctx_destroy(ctx);
        assert_int_equal(c.live, 0);
    }
    assert_true(n_ok > 10);
    assert_int_equal(dir_entries(), 0);
}

/* ---------------------------------------------------------------------
 * Real data: all 2011 data zones against a GEOS brute force
 * --------------------------------------------------------------------- */

typedef struct bf_pair {
    uint32_t a, b;
    double len; /* 0 for a point contact */
} bf_pair;

typedef struct cand {
    uint32_t *v;
    size_t n, cap;
} cand;

static void bf_collect(void *item, void *ud)
{
    cand *c = ud;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = *(const uint32_t *)item;
}

/* Independent construction: every pair whose envelopes meet, tested with
 * prepared intersects, measured as the length of the intersection of the
 * two boundaries. */
static bf_pair *brute_force(GEOSContextHandle_t h, size_t n, const GEOSGeometry *const *geoms, size_t *npairs)
{
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    uint32_t *ids = malloc(n * sizeof *ids);
    GEOSGeometry **bnd = malloc(n * sizeof *bnd);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint32_t)i;
        GEOSSTRtree_insert_r(h, tree, geoms[i], &ids[i]);
        bnd[i] = GEOSBoundary_r(h, geoms[i]);
        assert_non_null(bnd[i]);
    }
    bf_pair *out = NULL;
    size_t nout = 0, cap = 0;
    cand c = {0};
    for (size_t i = 0; i < n; i++) {
        c.n = 0;
        GEOSSTRtree_query_r(h, tree, geoms[i], bf_collect, &c);
        const GEOSPreparedGeometry *pg = GEOSPrepare_r(h, geoms[i]);
        for (size_t k = 0; k < c.n; k++) {
            uint32_t j = c.v[k];
            if (j <= i || GEOSPreparedIntersects_r(h, pg, geoms[j]) != 1)
                continue;
            GEOSGeometry *x = GEOSIntersection_r(h, bnd[i], bnd[j]);
            double len = 0;
            assert_non_null(x);
            assert_int_equal(GEOSLength_r(h, x, &len), 1);
            GEOSGeom_destroy_r(h, x);
            if (nout == cap) {
                cap = cap ? 2 * cap : 1024;
                out = realloc(out, cap * sizeof *out);
            }
            out[nout++] = (bf_pair){(uint32_t)i, j, len};
        }
        GEOSPreparedGeom_destroy_r(h, pg);
    }
    free(c.v);
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(h, bnd[i]);
    free(bnd);
    free(ids);
    GEOSSTRtree_destroy_r(h, tree);
    *npairs = nout;
    return out;
}

static const char *shared_or_data(const char *shared, const char *data)
{
    return access(shared, R_OK) == 0 ? shared : access(data, R_OK) == 0 ? data : NULL;
}

/* Every zone of a council reachable from its first zone through edges
 * inside the council (island links included). */
static void check_connected(const loc_graph *g, const int32_t *council, size_t ncouncils)
{
    size_t n = loc_graph_count(g);
    uint32_t *queue = malloc(n * sizeof *queue);
    char *seen = calloc(n, 1);
    for (size_t c = 0; c < ncouncils; c++) {
        size_t start = n, total = 0, reached = 0;
        for (size_t i = 0; i < n; i++)
            if (council[i] == (int32_t)c) {
                total++;
                if (start == n)
                    start = i;
            }
        if (!total)
            continue;
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)start;
        seen[start] = 1;
        while (head < tail) {
            uint32_t z = queue[head++];
            reached++;
            for (size_t k = 0; k < loc_graph_degree(g, z); k++) {
                uint32_t y = loc_graph_neighbours(g, z)[k];
                if (council[y] == (int32_t)c && !seen[y]) {
                    seen[y] = 1;
                    queue[tail++] = y;
                }
            }
        }
        if (reached != total)
            fail_msg("council %zu: %zu of %zu zones connected", c, reached, total);
    }
    free(queue);
    free(seen);
}

static void test_scotland(void **state)
{
    (void)state;
    const char *bpath = shared_or_data(LOC_SHARED_DIR "/boundaries/dz2011_scotland_simplified.gpkg",
                                       LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg");
    const char *lpath = shared_or_data(LOC_SHARED_DIR "/lookups/dz2011_iz2011_council_lookup.csv",
                                       LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv");
    if (!bpath || !lpath)
        fail_msg("committed all-Scotland data missing under " LOC_DATA_DIR "/scotland");
    GDALAllRegister();
    fx f;
    fx_init(&f);
    loc_ctx *ctx = f.ctx;
    GEOSContextHandle_t h = loc_geos(ctx);
    loc_boundaries *b = loc_boundaries_read(ctx, bpath, NULL);
    assert_non_null(b);
    size_t n = loc_boundaries_count(b);
    assert_int_equal(n, 6976);

    /* councils from the lookup's ltla20_code, numbered in order of appearance */
    loc_csv *lk = loc_csv_read(ctx, lpath);
    assert_non_null(lk);
    long cz = loc_csv_column(lk, "dz11_code"), cc = loc_csv_column(lk, "ltla20_code");
    assert_true(cz >= 0 && cc >= 0);
    loc_strmap *rows = loc_strmap_create(ctx, loc_csv_nrows(lk)), *cmap = loc_strmap_create(ctx, 64);
    for (size_t r = 0; r < loc_csv_nrows(lk); r++)
        assert_int_equal(loc_strmap_put(rows, loc_csv_field(lk, r, cz), (long)r, NULL), LOC_OK);
    int32_t *council = malloc(n * sizeof *council);
    const char **codes = malloc(n * sizeof *codes);
    const char *ccodes[64];
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        codes[i] = loc_boundaries_code(b, i);
        long r = loc_strmap_get(rows, codes[i]);
        assert_true(r >= 0);
        const char *c = loc_csv_field(lk, (size_t)r, cc);
        long have;
        assert_int_equal(loc_strmap_put(cmap, c, (long)nc, &have), LOC_OK);
        if (have < 0) {
            ccodes[nc] = c;
            have = (long)nc++;
        }
        council[i] = (int32_t)have;
    }
    assert_int_equal(nc, 32);

    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.codes = codes;
    loc_graph *g = loc_graph_build(ctx, n, loc_boundaries_geoms(b), council, &o);
    assert_non_null(g);
    check_invariants(g);
    const loc_graph_stats *s = loc_graph_stats_get(g);
    /* the data README's figures */
    assert_int_equal(s->rook, 19102);
    assert_int_equal(s->snapped, 0);
    assert_int_equal(s->isolated, 10);
    static const struct {
        const char *code;
        size_t parts;
    } split[] = {{"S12000035", 8}, {"S12000013", 5}, {"S12000023", 5}, {"S12000027", 5},
                 {"S12000021", 3}, {"S12000017", 2}, {"S12000049", 2}};
    size_t links = 0;
    for (size_t c = 0; c < nc; c++) {
        size_t want = 1;
        for (size_t k = 0; k < sizeof split / sizeof *split; k++)
            if (strcmp(ccodes[c], split[k].code) == 0)
                want = split[k].parts;
        if (loc_graph_components(g, (int32_t)c) != want)
            fail_msg("council %s: %zu parts, want %zu", ccodes[c], loc_graph_components(g, (int32_t)c), want);
        links += want - 1;
    }
    assert_int_equal(s->island_links, links);
    assert_int_equal(s->unlinked, 0);
    for (size_t k = 0; k < loc_graph_nlinks(g); k++) {
        const loc_graph_link *l = &loc_graph_links(g)[k];
        assert_int_equal(council[l->a], council[l->b]);
    }
    check_connected(g, council, nc);

    /* the brute force: same pairs, same lengths, same perimeters */
    size_t nbf;
    bf_pair *bf = brute_force(h, n, loc_boundaries_geoms(b), &nbf);
    size_t rook = 0, point = 0;
    double worst = 0;
    for (size_t k = 0; k < nbf; k++) {
        loc_edge_kind kind;
        double len = loc_graph_shared_len(g, bf[k].a, bf[k].b, &kind);
        if (bf[k].len > 0) {
            rook++;
            if (len < 0 || kind != LOC_EDGE_ROOK)
                fail_msg("%s-%s: brute force shares %.2f m, the graph has none", codes[bf[k].a], codes[bf[k].b],
                         bf[k].len);
            double rel = fabs(len - bf[k].len) / bf[k].len;
            if (rel > worst)
                worst = rel;
        } else {
            point++;
        }
    }
    assert_int_equal(rook, s->rook); /* and so no pair the brute force lacks */
    assert_true(worst < 0.01);
    print_message("real data: %zu rook pairs as the brute force, max relative length error %.1e, %zu point contacts\n",
                  rook, worst, point);
    for (size_t i = 0; i < n; i++) {
        double len;
        assert_int_equal(GEOSLength_r(h, loc_boundaries_geom(b, i), &len), 1);
        assert_true(fabs(loc_graph_perimeters(g)[i] - len) <= 1e-9 * len);
    }
    loc_graph_destroy(g);

    /* queen: the point contacts of the brute force, no more */
    o.queen = 1;
    g = loc_graph_build(ctx, n, loc_boundaries_geoms(b), council, &o);
    assert_non_null(g);
    assert_int_equal(loc_graph_stats_get(g)->rook, 19102);
    assert_int_equal(loc_graph_stats_get(g)->queen, point);
    assert_int_equal(point, 19622 - 19102);
    for (size_t k = 0; k < nbf; k++) {
        loc_edge_kind kind;
        assert_true(loc_graph_shared_len(g, bf[k].a, bf[k].b, &kind) >= 0);
        assert_int_equal(kind, bf[k].len > 0 ? LOC_EDGE_ROOK : LOC_EDGE_QUEEN);
    }
    loc_graph_destroy(g);
    free(bf);
    free(council);
    free(codes);
    loc_strmap_destroy(rows);
    loc_strmap_destroy(cmap);
    loc_csv_destroy(lk);
    loc_boundaries_destroy(b);
    fx_free(&f);
}

/* Every vertex of every Stirling zone moved on its own by up to 0.3 m: no
 * segment matches any more, and the tolerance pass must find the 315 true
 * pairs with lengths close to the true ones.  Zones that met at a corner
 * may now overlap there by as much as a true boundary that short: those,
 * and only those, may come out as rook pairs too. */
static int jitter(double *x, double *y, void *ud)
{
    uint64_t *s = ud;
    for (int k = 0; k < 2; k++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(*s >> 11) / 9007199254740992.0;
        *(k ? y : x) += 0.3 * (2 * u - 1);
    }
    return 1;
}

static void test_stirling_moved(void **state)
{
    (void)state;
    const char *path = LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg";
    REQUIRE_DATA(path);
    GDALAllRegister();
    fx f;
    fx_init(&f);
    GEOSContextHandle_t h = loc_geos(f.ctx);
    loc_boundaries *b = loc_boundaries_read(f.ctx, path, NULL);
    assert_non_null(b);
    size_t n = loc_boundaries_count(b);
    assert_int_equal(n, 121);
    loc_graph_opts o;
    loc_graph_opts_init(&o);
    o.queen = 1;
    loc_graph *truth = loc_graph_build(f.ctx, n, loc_boundaries_geoms(b), NULL, &o);
    o.queen = 0;
    assert_non_null(truth);
    assert_int_equal(loc_graph_stats_get(truth)->rook, 315);
    assert_int_equal(loc_graph_stats_get(truth)->snapped, 0);

    GEOSGeometry **moved = malloc(n * sizeof *moved);
    uint64_t seed = 12345;
    for (size_t i = 0; i < n; i++)
        assert_non_null(moved[i] = GEOSGeom_transformXY_r(h, loc_boundaries_geom(b, i), jitter, &seed));
    loc_graph *g = loc_graph_build(f.ctx, n, (const GEOSGeometry *const *)moved, NULL, &o);
    assert_non_null(g);
    print_message("moved 0.3 m: %zu rook pairs at the default tolerance\n", loc_graph_stats_get(g)->rook);
    loc_graph_destroy(g);

    o.snap_m = 1;
    g = loc_graph_build(f.ctx, n, (const GEOSGeometry *const *)moved, NULL, &o);
    assert_non_null(g);
    check_invariants(g);
    size_t rook = loc_graph_stats_get(g)->rook, corners = 0;
    assert_int_equal(loc_graph_stats_get(g)->snapped, rook);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < loc_graph_degree(g, i); k++) {
            loc_edge_kind want;
            uint32_t j = loc_graph_neighbours(g, i)[k];
            assert_true(loc_graph_shared_len(truth, i, j, &want) >= 0);
            corners += want == LOC_EDGE_QUEEN;
        }
    assert_int_equal(rook, 315 + corners / 2);
    assert_true(corners / 2 <= 5);
    print_message("moved 0.3 m, snapped at 1 m: 315 true pairs and %zu corner contacts\n", corners / 2);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < loc_graph_degree(truth, i); k++) {
            if (loc_graph_row_kinds(truth, i)[k] != LOC_EDGE_ROOK)
                continue;
            uint32_t j = loc_graph_neighbours(truth, i)[k];
            double want = loc_graph_row_lengths(truth, i)[k], got = loc_graph_shared_len(g, i, j, NULL);
            assert_true(got > 0);
            sum += fabs(got - want) / want;
        }
    assert_true(sum / (2 * 315) < 0.01); /* mean relative error */
    loc_graph_destroy(g);
    loc_graph_destroy(truth);
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(h, moved[i]);
    free(moved);
    loc_boundaries_destroy(b);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snap_auto), cmocka_unit_test(test_lattice),        cmocka_unit_test(test_ring_hole),
        cmocka_unit_test(test_corner),         cmocka_unit_test(test_sliver),
        cmocka_unit_test(test_crossing_corner), cmocka_unit_test(test_island),
        cmocka_unit_test(test_island_chain),   cmocka_unit_test(test_councils),
        cmocka_unit_test(test_empty_graph),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_write_csv),      cmocka_unit_test(test_write_gal_gwt),
        cmocka_unit_test(test_write_errors),   cmocka_unit_test(test_graph_alloc_failures),
        cmocka_unit_test(test_scotland),       cmocka_unit_test(test_stirling_moved),
    };
    return test_exit(cmocka_run_group_tests(tests, setup_dir, remove_dir));
}
