/*
 * Tests for output sets (outset.h): a set committed into a new folder and
 * over an earlier one (the user's files kept, the earlier run's outputs
 * this run did not write dropped, run.json listing what was written), an
 * aborted set leaving the earlier one as it was, messages naming the
 * output folder rather than the staging one, refusals, and a zeroed set
 * aborted without touching descriptor 0.  Kills at every step of a commit
 * are tests/scripts/check_commit_atomic.sh's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/outset.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The file's text ("" when missing). */
static const char *get(const char *dir, const char *name)
{
    static char buf[8192];
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

static int exists(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Entries of dir whose name holds the staging tag. */
static int staging_left(const char *parent)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q localities-run-", parent);
    return system(cmd) == 0;
}

static void test_outset_sets(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    char base[512], out[600];
    assert_int_equal(test_tmpdir_create(base, sizeof base, "outset"), 0);
    snprintf(out, sizeof out, "%s/out", base);
    loc_run_record rec = {.command = "test", .started = 1700000000};
    rec.inputs[rec.ninputs++] = (loc_run_input){"spec", LOC_DATA_DIR "/specs/simd2020v2.csv"};
    rec.inputs[rec.ninputs++] = (loc_run_input){"lookup", NULL};

    /* first set: the folder made, two files and run.json */
    loc_outset s;
    assert_int_equal(loc_outset_open(ctx, &s, out, &rec), LOC_OK);
    assert_true(s.made_out);
    put(loc_outset_path(&s, "a.csv"), "a1\n");
    put(loc_outset_path(&s, "b.csv"), "b1\n");
    assert_false(exists(out, "a.csv")); /* nothing in place before the commit */
    assert_int_equal(loc_outset_commit(&s), LOC_OK);
    assert_string_equal(get(out, "a.csv"), "a1\n");
    assert_string_equal(get(out, "b.csv"), "b1\n");
    const char *json = get(out, "run.json");
    assert_non_null(strstr(json, "\"outputs\": [\"a.csv\", \"b.csv\", \"run.json\"]"));
    assert_non_null(strstr(json, "\"sha256\": \"")); /* the spec hashed */
    assert_non_null(strstr(json, "\"started\": \"2023-11-14T22:13:20Z\""));
    assert_false(staging_left(base));
    loc_outset_abort(&s); /* after a commit: nothing */

    /* the user's file kept; b.csv, which this run does not write, dropped */
    char user[700];
    snprintf(user, sizeof user, "%s/notes.txt", out);
    put(user, "mine\n");
    assert_int_equal(loc_outset_open(ctx, &s, out, &rec), LOC_OK);
    assert_false(s.made_out);
    put(loc_outset_path(&s, "a.csv"), "a2\n");
    assert_int_equal(loc_outset_commit(&s), LOC_OK);
    assert_string_equal(get(out, "a.csv"), "a2\n");
    assert_false(exists(out, "b.csv"));
    assert_string_equal(get(out, "notes.txt"), "mine\n");

    /* an aborted set: the earlier one as it was, no staging folder left */
    assert_int_equal(loc_outset_open(ctx, &s, out, &rec), LOC_OK);
    put(loc_outset_path(&s, "a.csv"), "a3\n");
    char msg[900], buf[900];
    snprintf(msg, sizeof msg, "cannot write '%s': disk full", loc_outset_path(&s, "c.csv"));
    const char *shown = loc_outset_unstaged(msg, buf, sizeof buf);
    char want[900];
    snprintf(want, sizeof want, "cannot write '%s/c.csv': disk full", out);
    assert_string_equal(shown, want);
    loc_outset_abort(&s);
    assert_string_equal(get(out, "a.csv"), "a2\n");
    assert_false(staging_left(base));
    assert_ptr_equal(loc_outset_unstaged(msg, buf, sizeof buf), msg); /* closed: no longer replaced */

    /* no record: no run.json written, the earlier one's list not used */
    assert_int_equal(loc_outset_open(ctx, &s, out, NULL), LOC_OK);
    put(loc_outset_path(&s, "d.csv"), "d\n");
    assert_int_equal(loc_outset_commit(&s), LOC_OK);
    assert_string_equal(get(out, "d.csv"), "d\n");
    assert_string_equal(get(out, "a.csv"), "a2\n");

    /* a target that is a folder: refused before anything moves */
    char sub[700];
    snprintf(sub, sizeof sub, "%s/e.csv", out);
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(loc_outset_open(ctx, &s, out, &rec), LOC_OK);
    put(loc_outset_path(&s, "a.csv"), "a4\n");
    put(loc_outset_path(&s, "e.csv"), "e\n");
    assert_int_equal(loc_outset_commit(&s), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "e.csv': it is a folder"));
    assert_string_equal(get(out, "a.csv"), "a2\n");
    assert_false(staging_left(base));

    test_tmpdir_remove(base);
    loc_ctx_destroy(ctx);
}

static void test_outset_refusals(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    char base[512], out[600];
    assert_int_equal(test_tmpdir_create(base, sizeof base, "outset_bad"), 0);
    loc_outset s;
    snprintf(out, sizeof out, "%s/no/such/folder", base);
    assert_int_equal(loc_outset_open(ctx, &s, out, NULL), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "cannot create the output folder"));
    loc_outset_abort(&s);
    snprintf(out, sizeof out, "%s/file", base);
    put(out, "x");
    assert_int_equal(loc_outset_open(ctx, &s, out, NULL), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "exists and is not a folder"));
    loc_outset_abort(&s);

    /* a failed commit removes the output folder its opening made */
    snprintf(out, sizeof out, "%s/made", base);
    assert_int_equal(loc_outset_open(ctx, &s, out, NULL), LOC_OK);
    loc_outset_abort(&s);
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);

    /* a zeroed set, never opened, aborted: descriptor 0 left alone (it was
     * closed once, stdin with it) */
    int fd = open("/dev/null", O_RDONLY);
    int saved = dup(0);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    memset(&s, 0, sizeof s);
    loc_outset_abort(&s);
    assert_int_not_equal(fcntl(0, F_GETFD), -1);
    dup2(saved, 0);
    close(saved);
    close(fd);
    test_tmpdir_remove(base);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outset_sets),
        cmocka_unit_test(test_outset_refusals),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
