/*
 * Tests for output sets (outset.h): a set committed into a new folder and
 * over an earlier one (the user's files kept, the earlier run's outputs
 * this run did not write dropped, run.json listing what was written), an
 * aborted set leaving the earlier one as it was, messages naming the
 * output folder rather than the staging one, refusals, and a zeroed set
 * aborted without touching descriptor 0; and the single files under them
 * (loc_afile): their buffer, commit and staging.  Kills at every step of a
 * commit are tests/scripts/check_commit_atomic.sh's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/outset.h"
#include "internal.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* An allocator that refuses the output buffer's size and nothing else. */
static void *no_big_buffer(void *ud, void *ptr, size_t size)
{
    (void)ud;
    return size == LOC_AFILE_BUFFER ? NULL : realloc(ptr, size);
}

static void plain_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

/* One file written through loc_afile: buffered by LOC_AFILE_BUFFER bytes
 * of its own, so that 100,000 bytes have not reached the file before it
 * is closed (stdio's own 4 KiB buffer wrote them in 25 calls: glibc's
 * setvbuf ignores a size given without a buffer, which left the 14 MB
 * report written 4 KiB at a time); committed whole by loc_afile_close;
 * handed over unrenamed by loc_afile_stage, and removed by a failed one. */
static void test_afile(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    char base[512], a[600], b[600], c[600];
    assert_int_equal(test_tmpdir_create(base, sizeof base, "afile"), 0);
    snprintf(a, sizeof a, "%s/a.csv", base);
    snprintf(b, sizeof b, "%s/b.html", base);
    snprintf(c, sizeof c, "%s/c.csv", base);

    loc_afile af;
    assert_int_equal(loc_afile_open(ctx, &af, a), LOC_OK);
    assert_non_null(af.buf);
    char line[101];
    memset(line, 'x', 99);
    line[99] = '\n';
    line[100] = 0;
    for (int i = 0; i < 1000; i++)
        assert_true(fputs(line, af.f) >= 0);
    assert_string_not_equal(af.tmp, a);
    assert_int_equal(file_size(af.tmp), 0); /* all of it still in the buffer */
    assert_int_equal(file_size(a), -1);
    assert_int_equal(loc_afile_close(ctx, &af, LOC_OK), LOC_OK);
    assert_int_equal(file_size(a), 100000);
    assert_int_equal(test_count_entries(base), 1);

    char *tmp = NULL;
    assert_int_equal(loc_afile_open(ctx, &af, b), LOC_OK);
    fputs("<p>staged</p>\n", af.f);
    assert_int_equal(loc_afile_stage(ctx, &af, LOC_OK, &tmp), LOC_OK);
    assert_non_null(tmp);
    assert_null(af.f);
    assert_null(af.buf);
    assert_int_equal(file_size(tmp), 14);
    assert_int_equal(file_size(b), -1);
    assert_int_equal(loc_afile_commit(ctx, tmp, b), LOC_OK);
    assert_string_equal(get(base, "b.html"), "<p>staged</p>\n");

    assert_int_equal(loc_afile_open(ctx, &af, c), LOC_OK);
    fputs("half a table", af.f);
    assert_int_equal(loc_afile_stage(ctx, &af, LOC_EIO, &tmp), LOC_EIO);
    assert_null(tmp);
    assert_int_equal(file_size(c), -1);
    assert_int_equal(test_count_entries(base), 2); /* a.csv and b.html, no temporary */

    /* without the memory for the buffer: stdio's, the file all the same,
     * and no error left behind */
    static int unused;
    loc_allocator tight = {no_big_buffer, plain_free, &unused};
    loc_ctx *small = loc_ctx_create(&tight);
    assert_non_null(small);
    assert_int_equal(loc_afile_open(small, &af, c), LOC_OK);
    assert_null(af.buf);
    assert_int_equal(loc_errcode(small), LOC_OK);
    fputs("a,b\n1,2\n", af.f);
    assert_int_equal(loc_afile_close(small, &af, LOC_OK), LOC_OK);
    assert_string_equal(get(base, "c.csv"), "a,b\n1,2\n");
    loc_ctx_destroy(small);
    test_tmpdir_remove(base);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outset_sets),
        cmocka_unit_test(test_outset_refusals),
        cmocka_unit_test(test_afile),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
