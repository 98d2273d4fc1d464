/*
 * Tests for the partition (zones -> localities): building from labels,
 * every refusal, reading localities from a lookup with unlisted zones and
 * councils spanned, zones.csv, allocation failures, and the real
 * intermediate zones of Stirling read as localities.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/partition.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n";

static const char IND[] = "Data_Zone,Total_population,income_count\n"
                          "Z1,1000,100\nZ2,500,50\nZ3,0,0\nZ4,*,5\nZ5,700,70\n";

static const char COUNCILS[] = "dz11_code,ca_code,ca_name\nZ1,C1,Alpha\nZ2,C1,Alpha\nZ3,C2,Beta\nZ4,C2,Beta\nZ5,C2,Beta\n";

static const char LOCS[] = "dz11_code,loc_code,loc_name\nZ1,L1,North\nZ2,L1,North\nZ3,L2,Mixed\nZ4,L2,Mixed\n"
                           "Z9,L3,Elsewhere\n";

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *councils, *locs;
    loc_zones *z;
    int nwarn;
    char warn[2048];
} fx;

static void collect(void *ud, loc_level level, const char *msg)
{
    fx *f = ud;
    if (level != LOC_WARN)
        return;
    f->nwarn++;
    size_t len = strlen(f->warn);
    snprintf(f->warn + len, sizeof f->warn - len, "%s\n", msg);
}

static void fx_load(fx *f, const char *councils)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    loc_ctx_set_report(f->ctx, collect, f);
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", IND, strlen(IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    assert_non_null(f->councils = loc_lookup_parse(f->ctx, "councils.csv", councils, strlen(councils), NULL));
    assert_non_null(f->locs = loc_lookup_parse(f->ctx, "locs.csv", LOCS, strlen(LOCS), NULL));
    const loc_lookup *l[] = {f->councils};
    loc_join_opts o = {0};
    assert_non_null(f->z = loc_zones_join(f->ctx, NULL, f->ind, f->spec, l, 1, &o, NULL));
    f->nwarn = 0;
    f->warn[0] = 0;
}

static void fx_free(fx *f)
{
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->councils);
    loc_lookup_destroy(f->locs);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_ctx_destroy(f->ctx);
    assert_int_equal(f->ta.live, 0);
}

/* A locality across nine councils, the ninth holding two of its zones,
 * spans nine (a set of eight once counted the ninth's zones each). */
static void test_many_councils(void **state)
{
    (void)state;
    char ind[1024] = "Data_Zone,Total_population,income_count\n", cl[1024] = "dz11_code,ca_code,ca_name\n";
    for (int i = 1; i <= 10; i++) {
        size_t a = strlen(ind), b = strlen(cl);
        snprintf(ind + a, sizeof ind - a, "Z%d,100,10\n", i);
        snprintf(cl + b, sizeof cl - b, "Z%d,C%d,Council %d\n", i, i < 10 ? i : 9, i < 10 ? i : 9);
    }
    test_alloc ta;
    loc_ctx *ctx = test_ctx(&ta);
    loc_csv *csv = loc_csv_parse(ctx, "ind.csv", ind, strlen(ind));
    loc_spec *spec = loc_spec_parse(ctx, "spec.csv", SPEC, strlen(SPEC));
    loc_lookup *lk = loc_lookup_parse(ctx, "councils.csv", cl, strlen(cl), NULL);
    assert_non_null(csv);
    assert_non_null(spec);
    assert_non_null(lk);
    const loc_lookup *l[] = {lk};
    loc_join_opts o = {0};
    loc_zones *z = loc_zones_join(ctx, NULL, csv, spec, l, 1, &o, NULL);
    assert_non_null(z);
    int32_t label[10] = {0};
    const char *codes[] = {"ALL"};
    loc_partition *p = loc_partition_create(ctx, z, label, 1, codes, NULL);
    assert_non_null(p);
    assert_int_equal(loc_partition_ncouncils_of(p, 0), 9);
    assert_int_equal(loc_partition_council(p, 0), -1);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    loc_ctx_destroy(ctx);
    assert_int_equal(ta.live, 0);
}

static void test_from_labels(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    int32_t label[] = {0, 0, 1, 1, -1};
    const char *codes[] = {"A", "B"}, *names[] = {"Alpha one", NULL};
    loc_partition *p = loc_partition_create(f.ctx, f.z, label, 2, codes, names);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 2);
    assert_int_equal(loc_partition_unassigned(p), 1);
    assert_string_equal(loc_partition_code(p, 1), "B");
    assert_string_equal(loc_partition_name(p, 0), "Alpha one");
    assert_string_equal(loc_partition_name(p, 1), "");
    assert_int_equal(loc_partition_find(p, "B"), 1);
    assert_int_equal(loc_partition_find(p, "C"), -1);
    assert_true(loc_partition_population(p, 0) == 1500);
    assert_true(loc_partition_population(p, 1) == 0); /* 0 and a missing population */
    size_t n;
    const uint32_t *m = loc_partition_members(p, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(m[0], 2);
    assert_int_equal(m[1], 3);
    assert_int_equal(loc_partition_ncouncils_of(p, 0), 1);
    assert_string_equal(loc_zones_council_code(f.z, (size_t)loc_partition_council(p, 0)), "C1");
    assert_ptr_equal(loc_partition_zones(p), f.z);
    loc_partition_destroy(p);
    loc_partition_destroy(NULL);
    fx_free(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    const char *codes[] = {"A", "A"};
    int32_t out_of_range[] = {0, 2, 0, 0, 0};
    assert_null(loc_partition_create(f.ctx, f.z, out_of_range, 2, codes, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "zone 'Z2': locality 2 out of range (2 localities)");
    int32_t empty[] = {0, 0, 0, 0, 0};
    const char *two[] = {"A", "B"};
    assert_null(loc_partition_create(f.ctx, f.z, empty, 2, two, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "locality 'B' has no zones");
    int32_t dup[] = {0, 1, 0, 0, 0};
    assert_null(loc_partition_create(f.ctx, f.z, dup, 2, codes, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "locality code 'A' given twice");
    assert_null(loc_partition_from_lookup(f.ctx, f.z, f.locs, "nope"));
    assert_string_equal(loc_errmsg(f.ctx), "'locs.csv': no column 'nope'");
    fx_free(&f);
}

static void test_from_lookup(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    loc_partition *p = loc_partition_from_lookup(f.ctx, f.z, f.locs, NULL);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 2); /* L3 lists no study zone */
    assert_string_equal(loc_partition_code(p, 0), "L1");
    assert_string_equal(loc_partition_name(p, 0), "North");
    assert_int_equal(loc_partition_council(p, 0), 0);
    assert_int_equal(loc_partition_unassigned(p), 1);
    assert_int_equal(f.nwarn, 1);
    assert_string_equal(f.warn, "'locs.csv:loc_code': 1 study zone not listed, left out of every locality: Z5\n");
    loc_partition_destroy(p);
    fx_free(&f);

    /* a locality spanning two councils has none */
    static const char SPLIT[] = "dz11_code,ca_code\nZ1,C1\nZ2,C1\nZ3,C1\nZ4,C2\nZ5,C2\n";
    fx_load(&f, SPLIT);
    p = loc_partition_from_lookup(f.ctx, f.z, f.locs, "loc_code");
    assert_non_null(p);
    assert_int_equal(loc_partition_council(p, 1), -1);
    assert_int_equal(loc_partition_ncouncils_of(p, 1), 2);
    loc_partition_destroy(p);
    fx_free(&f);
}

/* What the lookup lists that the run cannot place: Z9 is in neither the
 * boundaries nor the indicators, and L3 has no other zone. */
static void test_check_lookup(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    assert_int_equal(loc_lookup_nrows(f.locs), 5);
    assert_string_equal(loc_lookup_row_zone(f.locs, 4), "Z9");
    assert_string_equal(loc_lookup_row_get(f.locs, 4, 2), "Elsewhere");
    assert_int_equal(loc_lookup_row_line(f.locs, 4), 6);
    loc_partition *p = loc_partition_from_lookup(f.ctx, f.z, f.locs, NULL);
    assert_non_null(p);
    f.nwarn = 0;
    f.warn[0] = 0;
    assert_int_equal(loc_partition_check_lookup(f.ctx, f.z, f.locs, NULL, p, 0), LOC_OK);
    assert_int_equal(f.nwarn, 1);
    assert_string_equal(f.warn, "'locs.csv': 1 zone in neither the boundaries nor the indicators, left out: 'Z9'; "
                                "locality 'L3' has no other zone and is left out\n");
    assert_int_equal(loc_partition_check_lookup(f.ctx, f.z, f.locs, "loc_code", p, 1), LOC_EDATA);
    assert_string_equal(loc_errmsg(f.ctx), "'locs.csv' line 6: 1 zone in neither the boundaries nor the indicators: "
                                           "'Z9'; locality 'L3' has no other zone and is left out (--strict)");
    loc_partition_destroy(p);
    fx_free(&f);
}

/* A temporary file name (the file exists, empty). */
static void temp_path(char *path, size_t n)
{
    snprintf(path, n, "%s/loc-partition-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* The text of a small file, which is then removed. */
static void take_text(const char *path, char *buf, size_t n)
{
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t got = fread(buf, 1, n - 1, in);
    fclose(in);
    unlink(path);
    buf[got] = 0;
}

static void test_zones_csv(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    loc_partition *p = loc_partition_from_lookup(f.ctx, f.z, f.locs, NULL);
    assert_non_null(p);
    char path[600], buf[512];
    temp_path(path, sizeof path);
    assert_int_equal(loc_partition_write_zones_csv(f.ctx, p, path), LOC_OK);
    take_text(path, buf, sizeof buf);
    assert_string_equal(buf, "zone_code,locality_code,locality_name,council_code,population\n"
                             "Z1,L1,North,C1,1000\nZ2,L1,North,C1,500\nZ3,L2,Mixed,C2,0\nZ4,L2,Mixed,C2,\nZ5,,,C2,700\n");
    assert_int_equal(loc_partition_write_zones_csv(f.ctx, p, "/nonexistent-dir/zones.csv"), LOC_EIO);
    loc_partition_destroy(p);
    fx_free(&f);
}

static void test_partition_alloc(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_partition *p = loc_partition_from_lookup(f.ctx, f.z, f.locs, NULL);
        f.ta.fail_after = -1;
        if (p) {
            loc_partition_destroy(p);
            break;
        }
        assert_int_equal(loc_errcode(f.ctx), LOC_ENOMEM);
        assert_int_equal(f.ta.live, live);
    }
    fx_free(&f);
}

/* Held localities carried onto the same zones, and through a
 * many-to-many zone lookup.  Populations: Z1 1000, Z2 500, Z3 0, Z4
 * missing, Z5 700; held: Z1, Z2 in L1, Z3, Z4 in L2, Z5 in none. */
static void test_carry(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, COUNCILS);
    static const char HELD[] = "zone_code,locality_code,locality_name\nZ1,L1,North\nZ2,L1,North\nZ3,L2,South\n"
                               "Z4,L2,South\nZ5,,\n";
    loc_csv *held = loc_csv_parse(f.ctx, "held.csv", HELD, strlen(HELD));
    assert_non_null(held);
    loc_carry_stats cs;
    uint8_t how[5];
    loc_partition *p = loc_partition_carry(f.ctx, f.z, held, NULL, NULL, NULL, LOC_CARRY_MOST, &cs, how);
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), 2);
    assert_int_equal(cs.exact, 4);
    assert_int_equal(cs.most, 0);
    assert_int_equal(cs.unplaced, 1);
    assert_true(cs.unplaced_pop == 700 && cs.exact_pop == 1500);
    assert_int_equal(how[4], LOC_PLACED_NONE);
    assert_string_equal(loc_partition_name(p, 1), "South");
    assert_string_equal(f.warn, "'held.csv': 1 study zone (700 residents) could not be placed in a held locality\n");
    loc_partition_destroy(p);

    /* The held zones are Z*, this table's zones are looked up through a
     * map: Z1 -> Z1, Z2 (both L1); Z2 -> Z2 (L1), Z3, Z4 (L2); Z3 -> Z2
     * (L1), Z3 (L2); Z4 -> Z4 (L2); Z5 -> Z5, held in none; Z9 is no
     * zone of this table but shares Z1.  held has no population, so each
     * held zone weighs 1 shared among the zones mapping to it (Z1 by 2,
     * Z2 by 3, Z3 by 2, Z4 by 2): Z2 has L1 1/3 against L2 1, Z3 L1 1/3
     * against L2 1/2. */
    static const char MAP[] = "from,to\nZ1,Z1\nZ1,Z2\nZ2,Z2\nZ2,Z3\nZ2,Z4\nZ3,Z2\nZ3,Z3\nZ4,Z4\nZ5,Z5\nZ9,Z1\n";
    loc_csv *map = loc_csv_parse(f.ctx, "map.csv", MAP, strlen(MAP));
    assert_non_null(map);
    p = loc_partition_carry(f.ctx, f.z, held, map, "from", "to", LOC_CARRY_MOST, &cs, how);
    assert_non_null(p);
    const int32_t *lab = loc_partition_labels(p);
    static const int32_t WANT_LAB[] = {0, 1, 1, 1, -1};
    assert_memory_equal(lab, WANT_LAB, sizeof WANT_LAB);
    static const uint8_t WANT[] = {LOC_PLACED_EXACT, LOC_PLACED_MOST, LOC_PLACED_MOST, LOC_PLACED_EXACT,
                                   LOC_PLACED_NONE};
    assert_memory_equal(how, WANT, 5);
    assert_int_equal(cs.exact, 2);
    assert_int_equal(cs.most, 2);
    assert_int_equal(cs.unplaced, 1);
    assert_true(cs.exact_pop == 1000 && cs.most_pop == 500 && cs.unplaced_pop == 700);
    loc_partition_destroy(p);

    /* with the held zones' residents (Z1 600, Z2 300, Z3 200, Z4 100):
     * Z2 has L1 300/3 = 100 against L2 200/2 + 100/2 = 150; Z3 has L1 100
     * against L2 100, a tie, left out */
    static const char HELDP[] = "zone_code,locality_code,locality_name,population\nZ1,L1,North,600\n"
                                "Z2,L1,North,300\nZ3,L2,South,200\nZ4,L2,South,100\nZ5,,,50\n";
    loc_csv *heldp = loc_csv_parse(f.ctx, "heldp.csv", HELDP, strlen(HELDP));
    assert_non_null(heldp);
    p = loc_partition_carry(f.ctx, f.z, heldp, map, "from", "to", LOC_CARRY_MOST, &cs, how);
    assert_non_null(p);
    assert_int_equal(loc_partition_labels(p)[1], 1);
    assert_int_equal(how[1], LOC_PLACED_MOST);
    assert_int_equal(loc_partition_labels(p)[2], -1);
    assert_int_equal(how[2], LOC_PLACED_TIE);
    char path[600], text[512];
    temp_path(path, sizeof path);
    assert_int_equal(loc_partition_write_carried_csv(f.ctx, p, how, path), LOC_OK);
    take_text(path, text, sizeof text);
    assert_string_equal(text, "zone_code,locality_code,placement,population\nZ1,L1,exact,1000\nZ2,L2,most,500\n"
                              "Z3,,tie,0\nZ4,L2,exact,\nZ5,,none,700\n");
    assert_int_equal(loc_partition_write_carried_csv(f.ctx, p, how, "/nonexistent-dir/carried.csv"), LOC_EIO);
    loc_partition_destroy(p);
    loc_csv_destroy(heldp);

    /* all: the zone whose mapped zones disagree is left out */
    p = loc_partition_carry(f.ctx, f.z, held, map, "from", "to", LOC_CARRY_ALL, &cs, NULL);
    assert_non_null(p);
    assert_int_equal(loc_partition_labels(p)[1], -1);
    assert_int_equal(cs.most, 0);
    assert_int_equal(cs.unplaced, 3);
    assert_true(cs.unplaced_pop == 1200); /* Z2 500, Z3 0, Z5 700 */
    loc_partition_destroy(p);
    assert_null(loc_partition_carry(f.ctx, f.z, held, map, "from", "nope", LOC_CARRY_MOST, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "'map.csv': no column 'nope'");
    static const char OTHER[] = "zone_code,locality_code\nQ1,L1\n";
    loc_csv *other = loc_csv_parse(f.ctx, "other.csv", OTHER, strlen(OTHER));
    assert_null(loc_partition_carry(f.ctx, f.z, other, NULL, NULL, NULL, LOC_CARRY_MOST, NULL, NULL));
    assert_string_equal(loc_errmsg(f.ctx),
                        "'other.csv': none of its localities could be placed on these zones (different zone codes? "
                        "give a zone lookup)");
    loc_csv_destroy(other);
    loc_csv_destroy(map);
    loc_csv_destroy(held);
    fx_free(&f);
}

/* Stirling's intermediate zones as localities, from the real lookup. */
static void test_stirling_iz(void **state)
{
    (void)state;
    const char *lk = LOC_DATA_DIR "/stirling/lookup_stirling.csv";
    const char *ind = LOC_DATA_DIR "/stirling/simd2020v2_stirling.csv";
    REQUIRE_DATA(lk);
    REQUIRE_DATA(ind);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *csv = loc_csv_read(ctx, ind);
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    loc_lookup *l = loc_lookup_read(ctx, lk, NULL);
    assert_non_null(csv);
    assert_non_null(spec);
    assert_non_null(l);
    const loc_lookup *ls[] = {l};
    loc_zones *z = loc_zones_join(ctx, NULL, csv, spec, ls, 1, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(ctx, z, l, "iz11_code");
    assert_non_null(p);
    assert_int_equal(loc_partition_unassigned(p), 0);
    double total = 0;
    size_t zones = 0;
    for (size_t k = 0; k < loc_partition_count(p); k++) {
        size_t n;
        loc_partition_members(p, k, &n);
        zones += n;
        total += loc_partition_population(p, k);
        assert_true(loc_partition_council(p, k) >= 0);
    }
    assert_int_equal(zones, 121);
    print_message("Stirling: %zu intermediate zones, %.0f residents\n", loc_partition_count(p), total);
    assert_int_equal(loc_partition_count(p), 24); /* distinct iz11_code in the lookup */
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(l);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_labels), cmocka_unit_test(test_refusals),       cmocka_unit_test(test_from_lookup),
        cmocka_unit_test(test_zones_csv),   cmocka_unit_test(test_partition_alloc), cmocka_unit_test(test_stirling_iz),
        cmocka_unit_test(test_carry),       cmocka_unit_test(test_check_lookup),
        cmocka_unit_test(test_many_councils),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
