/*
 * What the parts of the contiguity graph share (private to the engine):
 * the graph itself, the build's state (vertices, evidence records,
 * decided pairs, union-find), the constants of the passes, and the
 * functions each part gives the others: graph.c (reading the rings, the
 * exact and queen passes, merging evidence into edges, the rows, the API;
 * its opening comment describes the whole algorithm), graph_snap.c (the
 * tolerance pass and choosing the tolerance from the data), graph_links.c
 * (parts per council and island links), graph_write.c (graph.csv, GAL,
 * GWT).
 */
#ifndef LOCALITIES_GRAPH_INTERNAL_H
#define LOCALITIES_GRAPH_INTERNAL_H

#include "localities/graph.h"
#include "internal.h"

#include <stdint.h>

/* Coordinates are quantised to this many units per metre for hashing:
 * identical vertices always agree, and vertices a rounding error apart
 * mostly do; those that straddle a grid line fall to the tolerance pass. */
#define QUANT 1000.0
/* Largest coordinate accepted, so that quantised values fit an int64. */
#define MAX_COORD 1e12
/* Unmatched segments per chunk in the tolerance pass. */
#define CHUNK 8
/* A pair found only by the tolerance pass is a rook neighbour when it runs
 * alongside for at least this many tolerances; shorter contacts are points
 * (see the sweep in the opening comment). */
#define MIN_SHARED_FACTOR 1.0

#define NONE UINT32_MAX
/* snap_auto: boundaries are taken as unclean when this share of their
 * length runs beside another zone within LOC_GRAPH_SNAP_MAX_M without
 * sharing vertices (0.065% on the clean 2011 data zones, 0.41% when each
 * is simplified on its own at 1 m), and the tolerance is where one more step
 * of the ladder adds less than this share of that length. */
#define SNAP_UNCLEAN_SHARE 0.0025
#define SNAP_SETTLED_SHARE 0.05

/* Vertex flags. */
enum { V_SEG = 1, V_MATCHED = 2 };

/* Record types: evidence about one zone pair a < b, merged into edges. */
enum {
    R_EXACT,   /* a segment both hold */
    R_SNAP_A,  /* length of a's boundary running alongside b's */
    R_SNAP_B,  /* length of b's boundary running alongside a's */
    R_POINT    /* a shared vertex or a contact within the tolerance (queen) */
};

struct loc_graph {
    loc_ctx *ctx;            /* allocator owner */
    size_t n;                /* zones */
    size_t *offsets;         /* n + 1 row starts */
    uint32_t *adj;           /* neighbours, offsets[n] */
    double *len_m;           /* shared length per directed edge */
    uint8_t *kind;           /* loc_edge_kind per directed edge */
    double *perimeter_m;     /* per zone */
    double *area_m2;         /* per zone */
    size_t ncouncils;        /* distinct councils with zones */
    int32_t *council_ids;    /* their ids as the caller gave them, ascending */
    size_t *components;      /* parts per council before linking, by position in council_ids */
    size_t nlinks;           /* island links */
    loc_graph_link *links;   /* in the order made */
    loc_graph_stats stats;
};

/* Boundary vertices of all zones, ring after ring. */
typedef struct verts {
    size_t n, cap;     /* vertices stored, allocated */
    double *xy;        /* coordinates, 2 per vertex */
    uint32_t *zone;    /* owning zone */
    uint8_t *flags;    /* V_SEG: a segment starts here; V_MATCHED: hashing found its twin */
} verts;

/* Evidence about zones a < b. */
typedef struct rec {
    uint32_t a, b;
    double len;        /* metres of boundary (0 for R_POINT) */
    uint8_t type;      /* R_* */
} rec;

typedef struct recs {
    rec *r;
    size_t n, cap;
} recs;

/* A decided undirected edge. */
typedef struct pair {
    uint32_t a, b;     /* a < b */
    double len;        /* shared length in metres */
    double exact;      /* of which matched exactly by hashing */
    uint8_t kind;      /* loc_edge_kind */
    uint8_t snapped;   /* 1 when only the tolerance pass found it */
} pair;

/* Everything one build holds; freed at the end whatever happens. */
typedef struct build {
    loc_ctx *ctx;
    GEOSContextHandle_t h;
    size_t n;
    const GEOSGeometry *const *geoms;
    const int32_t *council;     /* as given; may be NULL */
    int32_t *cidx;              /* per zone: position of its council in the graph's council_ids, -1 none */
    loc_graph_opts o;
    verts v;
    recs rc;
    pair *pairs;
    size_t npairs, pairs_cap;
    double boundary_m, exact_m; /* boundary length, and of it matched exactly */
    int snap_chosen;            /* 1 when choose_snap set o.snap_m */
    uint32_t *parent;           /* union-find over zones */
    uint32_t *size;             /* part sizes at roots */
} build;

/* A decided edge za < zb appended to b->pairs (graph.c). */
loc_status gr_add_pair(build *b, uint32_t za, uint32_t zb, double len, double exact, uint8_t kind, uint8_t snapped);

/* Zone i's council as a position in the graph's council ids, -1 none. */
int32_t gr_council_of(const build *b, size_t i);

/* Evidence about zones za and zb, stored with a < b (a snap record
 * turned to the other side when they swap). */
loc_status gr_push_rec(build *b, uint32_t za, uint32_t zb, double len, uint8_t type);

/* Union-find root of x, with path halving. */
uint32_t gr_uf_find(uint32_t *parent, uint32_t x);

/* Union by size; returns the new root. */
uint32_t gr_uf_union(uint32_t *parent, uint32_t *size, uint32_t x, uint32_t y);

/* Zone i's code for messages, or "#i" (in buf) without codes. */
const char *gr_zname(const build *b, size_t i, char *buf, size_t size);

/* The tolerance pass over the segments hashing left unmatched
 * (graph_snap.c). */
loc_status gr_tolerance_pass(build *b);

/* The distinct councils, ascending, and each zone's position among them:
 * callers may number councils as they like (a study area of one small
 * council keeps its index in the national list). */
loc_status gr_number_councils(build *b, loc_graph *g);

/* Count the parts of each council and, if asked, link them. */
loc_status gr_parts_and_links(build *b, loc_graph *g);

/* snap_auto: a clean coverage keeps the tolerance given (the default
 * 0.1 m); boundaries drawn or simplified polygon by polygon get the
 * tolerance at which the length running beside a neighbour stops growing.
 * On the 2011 data zones (graph.c's opening comment has the sweep): clean,
 * 0.065% of the boundary runs beside another zone within 50 m (rivers,
 * narrow inlets); simplified zone by zone at 1, 5, 10 and 25 m, 0.41%,
 * 1.2%, 1.9% and 3.7%, and the share stops growing at 1, 5, 10 and 20 m.
 * Gaps that widen steadily up to the probe (zones missing between the
 * parts of a study area) never settle and keep the tolerance given. */
loc_status gr_choose_snap(build *b);

#endif
