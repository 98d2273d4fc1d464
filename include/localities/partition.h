/*
 * Partition: which locality each study zone belongs to.
 *
 * The builder produces a partition, `assess` reads one from a zone ->
 * locality lookup the CPP already has, and the statistics and the writers
 * consume one.  A partition refers to the rows of one zone table
 * (loc_zones): each row has a locality index, or -1 for rows outside the
 * study area (reference zones) and study zones the partition leaves out.
 * Each locality has a code, a name, its council (or -1 when its zones lie
 * in more than one council, which `assess` reports), its population
 * (missing populations count as 0) and its member rows in zone-code order.
 */
#ifndef LOCALITIES_PARTITION_H
#define LOCALITIES_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "localities/csv.h"
#include "localities/lookup.h"
#include "localities/zones.h"

typedef struct loc_partition loc_partition;

/*
 * Build from labels: label[i] is row i's locality in 0..nloc-1, or -1.
 * codes and names give each locality's code and name (copied; names may be
 * NULL for empty names).  Rows outside the study area must be -1.  Every
 * locality must have at least one zone.  The zone table must outlive the
 * partition.  NULL with the error set (LOC_EINVAL for a label out of range,
 * a reference row with a label, an empty locality or a duplicate code;
 * LOC_ENOMEM).  Free with loc_partition_destroy.
 */
LOC_API loc_partition *loc_partition_create(loc_ctx *ctx, const loc_zones *z, const int32_t *label, size_t nloc,
                                            const char *const *codes, const char *const *names);

/*
 * Read localities from a lookup column (`assess --localities`): the group
 * of each study zone in lookup column `column` (NULL: the first column
 * after the zone column) is its locality; the paired name column, when the
 * lookup has one, names it.  Study zones the lookup does not list are left
 * out and reported as one warning naming them; lookup zones that are not
 * study zones are ignored (they may be other councils' zones).  NULL with
 * the error set when the column is missing or no study zone is listed.
 */
LOC_API loc_partition *loc_partition_from_lookup(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup,
                                                 const char *column);

/*
 * What a localities lookup lists that the run cannot place
 * (`assess --localities`, `build --from`): zones in neither the boundaries
 * nor the indicators (a typing error, another geography), and zones missing
 * from the boundaries that the lookup puts in a locality holding study
 * zones (so the locality is assessed without them).  Each kind is one
 * warning naming the zones (the first ten, then a count) and any locality
 * left with no zone at all; with strict, the first kind is an error.
 * Zones of other councils known to the indicators are not reported: a
 * lookup may cover all of Scotland.  Returns LOC_OK or the error.
 */
LOC_API loc_status loc_partition_check_lookup(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup,
                                              const char *column, const loc_partition *p, int strict);

/* How a zone lookup places a zone whose mapped zones lie in several held
 * localities (`batch --hold-rule`). */
typedef enum loc_carry_rule {
    LOC_CARRY_MOST = 0, /* in the locality holding most of its mapped zones' residents; a tie is left out */
    LOC_CARRY_ALL = 1   /* only when every mapped zone lies in one locality */
} loc_carry_rule;

/* How each zone was placed (loc_partition_carry's how[]). */
typedef enum loc_placement {
    LOC_PLACED_NOT_STUDY = 0, /* a reference zone: not carried */
    LOC_PLACED_EXACT,         /* same code held, or every mapped zone in one locality */
    LOC_PLACED_MOST,          /* mapped zones disagree; the locality with most of their residents */
    LOC_PLACED_TIE,           /* mapped zones disagree with no majority (or the rule is ALL): left out */
    LOC_PLACED_NONE           /* no mapped zone that held lists: left out */
} loc_placement;

/* What a carry did with the study zones. */
typedef struct loc_carry_stats {
    size_t exact, most, unplaced;            /* zones per outcome */
    double exact_pop, most_pop, unplaced_pop; /* their residents */
} loc_carry_stats;

/*
 * Carry localities held fixed from one release onto another's zones
 * (`batch --hold-localities`).  held is a CSV of zone -> locality (a run's
 * zones.csv: columns zone_code and locality_code, and locality_name when
 * present).  When the releases use the same zones, map is NULL and each
 * study zone takes the locality its code has in held.  Otherwise map is a
 * zone -> zone CSV (many-to-many, e.g. dz01_code,dz11_code, one row a
 * pair) whose from_col holds this table's zone codes and to_col the held
 * zones'.  A zone whose mapped zones (those held lists) all lie in one
 * locality goes there; one whose mapped zones lie in several goes, under
 * LOC_CARRY_MOST, to the locality holding strictly the most of their
 * residents, each mapped zone weighing its residents (held's population
 * column; 1 each without one) shared equally among all the zones that map
 * to it, and is otherwise left out, as is a zone that maps to none.  stats (may be
 * NULL) receives the counts and residents of each outcome; how (may be
 * NULL, loc_zones_count long) receives each row's loc_placement.  Zones
 * left out are reported as one warning.  NULL with the error set when a
 * column is missing or nothing can be placed.
 */
LOC_API loc_partition *loc_partition_carry(loc_ctx *ctx, const loc_zones *z, const loc_csv *held, const loc_csv *map,
                                           const char *from_col, const char *to_col, loc_carry_rule rule,
                                           loc_carry_stats *stats, uint8_t *how);

/* Free.  NULL does nothing. */
LOC_API void loc_partition_destroy(loc_partition *p);

/* The zone table it refers to. */
LOC_API const loc_zones *loc_partition_zones(const loc_partition *p);

/* Localities. */
LOC_API size_t loc_partition_count(const loc_partition *p);
/* Per zone row: locality index or -1; borrowed, loc_zones_count long. */
LOC_API const int32_t *loc_partition_labels(const loc_partition *p);
/* Study zones left out (label -1 although in the study area). */
LOC_API size_t loc_partition_unassigned(const loc_partition *p);
/* Index of a locality code, or -1. */
LOC_API long loc_partition_find(const loc_partition *p, const char *code);

/* Locality k: code, name ("" when none), council index (-1 when it spans
 * councils or its zones have none), population, zone rows (borrowed, in
 * zone-code order, *n set). */
LOC_API const char *loc_partition_code(const loc_partition *p, size_t k);
LOC_API const char *loc_partition_name(const loc_partition *p, size_t k);
LOC_API int32_t loc_partition_council(const loc_partition *p, size_t k);
LOC_API double loc_partition_population(const loc_partition *p, size_t k);
LOC_API const uint32_t *loc_partition_members(const loc_partition *p, size_t k, size_t *n);
/* Councils the locality's zones lie in (1 for most). */
LOC_API size_t loc_partition_ncouncils_of(const loc_partition *p, size_t k);

/*
 * zones.csv: header "zone_code,locality_code,locality_name,council_code",
 * one line per study zone in table order (locality fields empty for zones
 * left out).  Written to a temporary name beside path and renamed at the
 * end.  LOC_EIO names the file.
 */
LOC_API loc_status loc_partition_write_zones_csv(loc_ctx *ctx, const loc_partition *p, const char *path);

/*
 * carried.csv, the audit of a carry: header
 * "zone_code,locality_code,placement,population", one line per study zone
 * in zone-code order, placement one of exact, most, tie, none (loc_placement;
 * how as filled by loc_partition_carry for p).  Atomic like zones.csv.
 */
LOC_API loc_status loc_partition_write_carried_csv(loc_ctx *ctx, const loc_partition *p, const uint8_t *how,
                                                   const char *path);

#endif
