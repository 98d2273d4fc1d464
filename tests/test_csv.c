/*
 * Tests for the table reader and loc_parse_number: every dialect the
 * published files use (byte-order mark, CRLF/LF/CR line ends, quoting,
 * footnotes, empty rows, trailing empty columns), the line number of each
 * row, line ends and UTF-8 sequences split across the reader's 64 KiB file
 * chunks, each refusal with its exact message, and the size limit; and
 * loc_parse_number giving strtod's very bits on a million decimals of every
 * length (its fast path for plain decimals is checked against strtod).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/csv.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define CHUNK 65536 /* the reader's file chunk size */

static int setup(void **state)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    *state = ctx;
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    loc_ctx_destroy(*state);
    return 0;
}

/* Parse a string literal (length from sizeof, so embedded NULs count). */
#define PARSE(ctx, lit) loc_csv_parse((ctx), "t.csv", (lit), sizeof(lit) - 1)

/* Parse s, expecting failure with code and message. */
static void expect_error(loc_ctx *ctx, const char *s, size_t len, loc_status code, const char *msg)
{
    loc_clear_error(ctx);
    loc_csv *csv = loc_csv_parse(ctx, "t.csv", s, len);
    if (csv)
        fail_msg("parsed, expected '%s'", msg);
    assert_string_equal(loc_errmsg(ctx), msg);
    assert_int_equal(loc_errcode(ctx), code);
}

#define EXPECT_ERROR(ctx, lit, code, msg) expect_error((ctx), (lit), sizeof(lit) - 1, (code), (msg))

/* Write len bytes to a new file in the working directory (the build
 * tree under ctest); the caller unlinks path. */
static void write_temp(char *path, size_t size, const char *data, size_t len)
{
    snprintf(path, size, "loc_test_csv_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---------------------------------------------------------------------
 * Dialects
 * --------------------------------------------------------------------- */

static void test_basic(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "code,name,pop\nS01,Alpha,10\nS02,Beta,20\n");
    assert_non_null(csv);
    assert_string_equal(loc_csv_name(csv), "t.csv");
    assert_int_equal(loc_csv_ncols(csv), 3);
    assert_int_equal(loc_csv_nrows(csv), 2);
    assert_string_equal(loc_csv_header(csv, 0), "code");
    assert_string_equal(loc_csv_header(csv, 2), "pop");
    assert_string_equal(loc_csv_field(csv, 0, 0), "S01");
    assert_string_equal(loc_csv_field(csv, 1, 1), "Beta");
    assert_string_equal(loc_csv_field(csv, 1, 2), "20");
    assert_int_equal(loc_csv_line(csv, 0), 2);
    assert_int_equal(loc_csv_line(csv, 1), 3);
    assert_int_equal(loc_csv_skipped(csv), 0);
    loc_csv_destroy(csv);
    loc_csv_destroy(NULL);

    /* No line end after the last row. */
    csv = PARSE(ctx, "a,b\n1,2");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 1);
    assert_string_equal(loc_csv_field(csv, 0, 1), "2");
    loc_csv_destroy(csv);
}

static void test_bom(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "\xEF\xBB\xBF" "Data_Zone,x\nS01,1\n");
    assert_non_null(csv);
    assert_string_equal(loc_csv_header(csv, 0), "Data_Zone");
    assert_int_equal(loc_csv_column(csv, "data_zone"), 0);
    assert_int_equal(loc_csv_line(csv, 0), 2);
    loc_csv_destroy(csv);

    /* Only at the start: a BOM later is an ordinary character. */
    csv = PARSE(ctx, "a,b\n\xEF\xBB\xBFx,1\n");
    assert_non_null(csv);
    assert_string_equal(loc_csv_field(csv, 0, 0), "\xEF\xBB\xBFx");
    loc_csv_destroy(csv);
}

static void check_three_rows(loc_csv *csv, size_t l0, size_t l1, size_t l2)
{
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 3);
    assert_int_equal(loc_csv_line(csv, 0), l0);
    assert_int_equal(loc_csv_line(csv, 1), l1);
    assert_int_equal(loc_csv_line(csv, 2), l2);
    assert_string_equal(loc_csv_field(csv, 0, 1), "1");
    assert_string_equal(loc_csv_field(csv, 1, 1), "2");
    assert_string_equal(loc_csv_field(csv, 2, 1), "3");
    assert_string_equal(loc_csv_field(csv, 2, 0), "z");
    loc_csv_destroy(csv);
}

static void test_line_ends(void **state)
{
    loc_ctx *ctx = *state;
    check_three_rows(PARSE(ctx, "a,b\nx,1\ny,2\nz,3\n"), 2, 3, 4);
    check_three_rows(PARSE(ctx, "a,b\r\nx,1\r\ny,2\r\nz,3\r\n"), 2, 3, 4);
    check_three_rows(PARSE(ctx, "a,b\rx,1\ry,2\rz,3\r"), 2, 3, 4);
    check_three_rows(PARSE(ctx, "a,b\r\nx,1\ry,2\nz,3"), 2, 3, 4);
    /* Blank lines count as lines (LF LF, CR CR, CRLF CRLF, LF CR). */
    check_three_rows(PARSE(ctx, "a,b\n\nx,1\r\r\ny,2\r\n\r\n\n\rz,3\n\n"), 3, 5, 9);
}

static void test_quoting(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx,
                         "code,name,note\r\n"
                         "S01,\"Edinburgh, City of\",\"say \"\"hi\"\"\"\r\n"
                         "S02,\"two\r\nlines\",\"three\nmore\rlines\"\r\n"
                         "S03,\"\",\" padded \"\r\n"
                         "S04,  unquoted  ,x\r\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 4);
    assert_string_equal(loc_csv_field(csv, 0, 1), "Edinburgh, City of");
    assert_string_equal(loc_csv_field(csv, 0, 2), "say \"hi\"");
    assert_string_equal(loc_csv_field(csv, 1, 1), "two\r\nlines");
    assert_string_equal(loc_csv_field(csv, 1, 2), "three\nmore\rlines");
    assert_string_equal(loc_csv_field(csv, 2, 1), "");
    assert_string_equal(loc_csv_field(csv, 2, 2), " padded ");
    assert_string_equal(loc_csv_field(csv, 3, 1), "unquoted");
    /* Each row's line is the line it starts on. */
    assert_int_equal(loc_csv_line(csv, 0), 2);
    assert_int_equal(loc_csv_line(csv, 1), 3);
    assert_int_equal(loc_csv_line(csv, 2), 7);
    assert_int_equal(loc_csv_line(csv, 3), 8);
    loc_csv_destroy(csv);
}

static void test_quoted_first_field_line(void **state)
{
    loc_ctx *ctx = *state;
    /* A record whose first field is quoted and spans lines starts on the
     * line of its opening quote. */
    loc_csv *csv = PARSE(ctx, "a,b\n\"x\ny\",1\n\"p\n\nq\",2\nz,3\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 3);
    assert_string_equal(loc_csv_field(csv, 0, 0), "x\ny");
    assert_string_equal(loc_csv_field(csv, 1, 0), "p\n\nq");
    assert_int_equal(loc_csv_line(csv, 0), 2);
    assert_int_equal(loc_csv_line(csv, 1), 4);
    assert_int_equal(loc_csv_line(csv, 2), 7);
    loc_csv_destroy(csv);

    /* Blank lines and spaces before a record do not move its line. */
    csv = PARSE(ctx, "a,b\n\n   \n\t\"x\",1\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_line(csv, 0), 4);
    loc_csv_destroy(csv);

    /* And the error for a later row names the right line. */
    EXPECT_ERROR(ctx, "a,b\n\"x\ny\",1\n\"p\nq\"\n", LOC_EPARSE,
                 "'t.csv' line 4: 1 fields but the header has 2");
}

static void test_footnotes(void **state)
{
    loc_ctx *ctx = *state;
    /* As in SIMD 2016: bare CR line ends, footnotes at the end, one of
     * them quoted because it holds commas, padded with empty fields. */
    loc_csv *csv = PARSE(ctx,
                         "Data_Zone,Total_population,Income\r"
                         "S01006506,894,\"1,703\"\r"
                         "S01006507,793,8%\r"
                         "# Error in the working age population,,\r"
                         "\"# In a previous version, we included ...\",,\r"
                         "  #indented,x\r"
                         "#,1,2\r");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 2);
    assert_int_equal(loc_csv_skipped(csv), 4);
    assert_string_equal(loc_csv_field(csv, 1, 0), "S01006507");
    assert_int_equal(loc_csv_line(csv, 1), 3);
    loc_csv_destroy(csv);

    /* Footnotes may sit between rows; a '#' later in the first field or
     * in another field is data. */
    csv = PARSE(ctx, "a,b\n#note\nx#1,#2\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 1);
    assert_int_equal(loc_csv_skipped(csv), 1);
    assert_string_equal(loc_csv_field(csv, 0, 0), "x#1");
    assert_string_equal(loc_csv_field(csv, 0, 1), "#2");
    assert_int_equal(loc_csv_line(csv, 0), 3);
    loc_csv_destroy(csv);
}

static void test_empty_rows(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "a,b,c\n1,2,3\n,,\n , ,\n\"\",,\n\n4,5,6\n,,,,\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 2);
    /* Rows of empty fields are counted; a line with no field at all is
     * not a row for libcsv and is not counted. */
    assert_int_equal(loc_csv_skipped(csv), 4);
    assert_string_equal(loc_csv_field(csv, 1, 0), "4");
    assert_int_equal(loc_csv_line(csv, 1), 7);
    loc_csv_destroy(csv);
}

static void test_trailing_empty_columns(void **state)
{
    loc_ctx *ctx = *state;
    /* SIMD 2012: the header ends in a run of unnamed columns and every
     * row in as many empty fields. */
    loc_csv *csv = PARSE(ctx,
                         "Data Zone,Decile,Quintile,,,,\r\n"
                         "S01000001,9,5,,,,\r\n"
                         "S01000002,10,5,,,,\r\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_ncols(csv), 7);
    assert_int_equal(loc_csv_nrows(csv), 2);
    assert_string_equal(loc_csv_header(csv, 3), "");
    assert_string_equal(loc_csv_header(csv, 6), "");
    assert_string_equal(loc_csv_field(csv, 1, 2), "5");
    assert_string_equal(loc_csv_field(csv, 1, 6), "");
    assert_int_equal(loc_csv_column(csv, "quintile"), 2);
    assert_int_equal(loc_csv_column(csv, ""), -1);
    loc_csv_destroy(csv);

    /* Extra trailing empty (or blank) fields beyond the header are
     * tolerated and dropped. */
    csv = PARSE(ctx, "a,b\n1,2,,\n3,4, ,\"\"\n5,6\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_ncols(csv), 2);
    assert_int_equal(loc_csv_nrows(csv), 3);
    assert_string_equal(loc_csv_field(csv, 0, 1), "2");
    assert_string_equal(loc_csv_field(csv, 1, 0), "3");
    assert_string_equal(loc_csv_field(csv, 1, 1), "4");
    assert_string_equal(loc_csv_field(csv, 2, 0), "5");
    assert_string_equal(loc_csv_field(csv, 2, 1), "6");
    loc_csv_destroy(csv);
}

static void test_header_trim(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "\" Data Zone \",\"\tTotal Population (SAPE 2010) \", x \n1,2,3\n");
    assert_non_null(csv);
    assert_string_equal(loc_csv_header(csv, 0), "Data Zone");
    assert_string_equal(loc_csv_header(csv, 1), "Total Population (SAPE 2010)");
    assert_string_equal(loc_csv_header(csv, 2), "x");
    loc_csv_destroy(csv);
}

static void test_column(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "Data Zone,Working_age_population,Working_age_population_Revised,x\n1,2,3,4\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_column(csv, "Data Zone"), 0);
    assert_int_equal(loc_csv_column(csv, "data zone"), 0);
    assert_int_equal(loc_csv_column(csv, "  DATA ZONE\t"), 0);
    assert_int_equal(loc_csv_column(csv, "datazone"), -1);
    assert_int_equal(loc_csv_column(csv, "Data"), -1);
    assert_int_equal(loc_csv_column(csv, "Data Zone x"), -1);
    /* Alternatives: the first present, in the order listed, wins. */
    assert_int_equal(loc_csv_column(csv, "Working_age_population_Revised|Working_age_population"), 2);
    assert_int_equal(loc_csv_column(csv, "Working_age_population|Working_age_population_Revised"), 1);
    assert_int_equal(loc_csv_column(csv, "nope|also_nope|X"), 3);
    assert_int_equal(loc_csv_column(csv, "nope | data zone "), 0);
    assert_int_equal(loc_csv_column(csv, "nope|also_nope"), -1);
    assert_int_equal(loc_csv_column(csv, "||x"), 3);
    assert_int_equal(loc_csv_column(csv, "|"), -1);
    assert_int_equal(loc_csv_column(csv, ""), -1);
    loc_csv_destroy(csv);
    /* a header holding '|' is found by its whole name before alternatives */
    csv = PARSE(ctx, "zone,\"ward|2022\",ward\n1,2,3\n");
    assert_non_null(csv);
    assert_int_equal(loc_csv_column(csv, "ward|2022"), 1);
    assert_int_equal(loc_csv_column(csv, "2022|ward"), 2);
    loc_csv_destroy(csv);
}

static void test_utf8_ok(void **state)
{
    loc_ctx *ctx = *state;
    loc_csv *csv = PARSE(ctx, "name,x\nNa h-Eileanan Siar \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF,1\n");
    assert_non_null(csv);
    assert_string_equal(loc_csv_field(csv, 0, 0), "Na h-Eileanan Siar \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
    loc_csv_destroy(csv);
}

/* ---------------------------------------------------------------------
 * Refusals
 * --------------------------------------------------------------------- */

static void test_ragged(void **state)
{
    loc_ctx *ctx = *state;
    EXPECT_ERROR(ctx, "a,b,c\n1,2,3\n4,5\n", LOC_EPARSE, "'t.csv' line 3: 2 fields but the header has 3");
    EXPECT_ERROR(ctx, "a,b,c\r\n1,2,3,4\r\n", LOC_EPARSE, "'t.csv' line 2: 4 fields but the header has 3");
    EXPECT_ERROR(ctx, "a,b,c\n1,2,3,,x,\n", LOC_EPARSE, "'t.csv' line 2: 6 fields but the header has 3");
    /* An unquoted comma in a label shifts the row. */
    EXPECT_ERROR(ctx, "a,b\rx,1\rCrimes per 10,000 people,2\r", LOC_EPARSE,
                 "'t.csv' line 3: 3 fields but the header has 2");
}

static void test_bad_quotes(void **state)
{
    loc_ctx *ctx = *state;
    EXPECT_ERROR(ctx, "a,b\nx,1\ny,\"2\n", LOC_EPARSE, "'t.csv' line 4: unterminated quoted field (started on line 3)");
    EXPECT_ERROR(ctx, "a,b\nx,1\ny,\"2", LOC_EPARSE, "'t.csv' line 3: unterminated quoted field (started on line 3)");
    EXPECT_ERROR(ctx, "a,b\r\nx,1\r\n\"y,2\r\n\r\n", LOC_EPARSE,
                 "'t.csv' line 5: unterminated quoted field (started on line 3)");
    EXPECT_ERROR(ctx, "a,b\nx,1\ny,ab\"c\"\n", LOC_EPARSE,
                 "'t.csv' line 3: malformed quoting (a quote inside an unquoted field, or text after a closing quote)");
    EXPECT_ERROR(ctx, "a,b\nx,\"ab\"c\n", LOC_EPARSE,
                 "'t.csv' line 2: malformed quoting (a quote inside an unquoted field, or text after a closing quote)");
}

static void test_nul(void **state)
{
    loc_ctx *ctx = *state;
    EXPECT_ERROR(ctx, "a,b\nx,1\ny,\0\n", LOC_EPARSE, "'t.csv' line 3: NUL byte at column 3; not a text file");
    EXPECT_ERROR(ctx, "\xFF\xFE" "a\0,\0b\0", LOC_EPARSE, "'t.csv' line 1: invalid UTF-8 at byte 1 (save the file as UTF-8)");
    EXPECT_ERROR(ctx, "a\0,\0b\0", LOC_EPARSE, "'t.csv' line 1: NUL byte at column 2; not a text file");
}

static void test_bad_utf8(void **state)
{
    loc_ctx *ctx = *state;
    const char *msg = "'t.csv' line 2: invalid UTF-8 at byte 3 (save the file as UTF-8)";
    EXPECT_ERROR(ctx, "a,b\nx,\xC0\x80\n", LOC_EPARSE, msg);          /* overlong NUL */
    EXPECT_ERROR(ctx, "a,b\nx,\xC1\xBF\n", LOC_EPARSE, msg);          /* overlong 2-byte */
    EXPECT_ERROR(ctx, "a,b\nx,\xE0\x80\xAF\n", LOC_EPARSE, msg);      /* overlong 3-byte '/' */
    EXPECT_ERROR(ctx, "a,b\nx,\xF0\x8F\xBF\xBF\n", LOC_EPARSE, msg);  /* overlong 4-byte */
    EXPECT_ERROR(ctx, "a,b\nx,\xED\xA0\x80\n", LOC_EPARSE, msg);      /* surrogate U+D800 */
    EXPECT_ERROR(ctx, "a,b\nx,\xED\xBF\xBF\n", LOC_EPARSE, msg);      /* surrogate U+DFFF */
    EXPECT_ERROR(ctx, "a,b\nx,\xF4\x90\x80\x80\n", LOC_EPARSE, msg);  /* above U+10FFFF */
    EXPECT_ERROR(ctx, "a,b\nx,\xE2\x82\n", LOC_EPARSE, msg);          /* truncated before the line end */
    EXPECT_ERROR(ctx, "a,b\nx,\xE2\x82", LOC_EPARSE, msg);            /* truncated at the end */
    EXPECT_ERROR(ctx, "a,b\nx,\x80\n", LOC_EPARSE, msg);              /* lone continuation byte */
    EXPECT_ERROR(ctx, "a,b\nx,\xE9t\xE9\n", LOC_EPARSE, msg);         /* Latin-1 */
    EXPECT_ERROR(ctx, "a,b\nx,\xF8\x88\x80\x80\x80\n", LOC_EPARSE, msg); /* 5-byte form */
    /* Inside a quoted field spanning lines, the physical line is named. */
    EXPECT_ERROR(ctx, "a,b\nx,\"1\n2\xFF\"\n", LOC_EPARSE,
                 "'t.csv' line 3: invalid UTF-8 at byte 2 (save the file as UTF-8)");
}

static void test_empty_and_header_only(void **state)
{
    loc_ctx *ctx = *state;
    expect_error(ctx, "", 0, LOC_EPARSE, "'t.csv': empty file, no header row");
    EXPECT_ERROR(ctx, "\xEF\xBB\xBF", LOC_EPARSE, "'t.csv': empty file, no header row");
    EXPECT_ERROR(ctx, "\n\r\n\r  \n", LOC_EPARSE, "'t.csv': empty file, no header row");
    EXPECT_ERROR(ctx, "a,b,c\n", LOC_EPARSE, "'t.csv': header only, no data rows");
    EXPECT_ERROR(ctx, "a,b,c", LOC_EPARSE, "'t.csv': header only, no data rows");
    EXPECT_ERROR(ctx, "a,b,c\r\n,,\r\n# note\r\n\r\n", LOC_EPARSE, "'t.csv': header only, no data rows");
}

static void test_duplicate_column(void **state)
{
    loc_ctx *ctx = *state;
    EXPECT_ERROR(ctx, "Code,name,CODE\n1,2,3\n", LOC_EPARSE,
                 "'t.csv' line 1: duplicate column name 'CODE' (columns 1 and 3)");
    EXPECT_ERROR(ctx, "\n\nx,\" code\",code \n1,2,3\n", LOC_EPARSE,
                 "'t.csv' line 3: duplicate column name 'code' (columns 2 and 3)");
}

static void test_too_many_columns(void **state)
{
    loc_ctx *ctx = *state;
    size_t n = LOC_CSV_MAX_COLS + 1;
    char *buf = malloc(2 * n + 8);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = 'x';
        buf[k++] = i + 1 < n ? ',' : '\n';
    }
    expect_error(ctx, buf, k, LOC_ELIMIT, "'t.csv' line 1: more than 10000 fields in one row");
    free(buf);
}

static void test_record_too_long(void **state)
{
    loc_ctx *ctx = *state;
    size_t big = (size_t)5 << 20;
    char *buf = malloc(big + 64);
    /* One physical line of 5 MiB. */
    size_t k = (size_t)sprintf(buf, "a,b\nx,1\n");
    memset(buf + k, 'y', big);
    k += big;
    k += (size_t)sprintf(buf + k, ",2\n");
    expect_error(ctx, buf, k, LOC_ELIMIT, "'t.csv' line 3: a row longer than 4194304 bytes; refusing to read it");

    /* A quoted field of many short lines is one record too. */
    k = (size_t)sprintf(buf, "a,b\nx,1\n\"");
    for (size_t i = 0; i < big / 16; i++) {
        memcpy(buf + k, "0123456789abcde\n", 16);
        k += 16;
    }
    k += (size_t)sprintf(buf + k, "\",2\n");
    expect_error(ctx, buf, k, LOC_ELIMIT, "'t.csv' line 3: a row longer than 4194304 bytes; refusing to read it");

    /* Just under the limit is fine. */
    k = (size_t)sprintf(buf, "a,b\n");
    size_t start = k;
    memset(buf + k, 'z', LOC_CSV_MAX_RECORD - 3);
    k += LOC_CSV_MAX_RECORD - 3;
    k += (size_t)sprintf(buf + k, ",1\n");
    assert_int_equal(k - start, LOC_CSV_MAX_RECORD);
    loc_csv *csv = loc_csv_parse(ctx, "t.csv", buf, k);
    assert_non_null(csv);
    assert_int_equal(strlen(loc_csv_field(csv, 0, 0)), LOC_CSV_MAX_RECORD - 3);
    loc_csv_destroy(csv);
    free(buf);
}

/* A 1 GiB line from a file, without 1 GiB on disk: a child process writes
 * it into a FIFO.  The reader must refuse the row once it passes
 * LOC_CSV_MAX_RECORD, long before the end, and its memory must stay
 * bounded (the peak resident size grows by far less than the line). */
static void test_record_too_long_stream(void **state)
{
    loc_ctx *ctx = *state;
    char path[64];
    snprintf(path, sizeof path, "loc_test_fifo_%ld", (long)getpid());
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    struct rusage before;
    getrusage(RUSAGE_SELF, &before);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        signal(SIGPIPE, SIG_DFL);
        FILE *f = fopen(path, "wb");
        if (!f)
            _exit(2);
        static char block[65536];
        memset(block, 'y', sizeof block);
        fputs("a,b\nx,1\n", f);
        for (size_t i = 0; i < ((size_t)1 << 30) / sizeof block; i++)
            if (fwrite(block, 1, sizeof block, f) != sizeof block)
                _exit(0); /* the reader closed the pipe: what we expect */
        fputs(",2\n", f);
        fclose(f);
        _exit(1); /* the whole line was read */
    }
    loc_clear_error(ctx);
    loc_csv *csv = loc_csv_read(ctx, path);
    int status = 0;
    waitpid(child, &status, 0);
    unlink(path);
    assert_null(csv);
    assert_int_equal(loc_errcode(ctx), LOC_ELIMIT);
    char want[160];
    snprintf(want, sizeof want, "'%s' line 3: a row longer than 4194304 bytes; refusing to read it", path);
    assert_string_equal(loc_errmsg(ctx), want);
    /* the writer was cut off (SIGPIPE or a failed write), not read to the end */
    assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
    struct rusage after;
    getrusage(RUSAGE_SELF, &after);
    assert_true(after.ru_maxrss - before.ru_maxrss < 256 * 1024); /* kilobytes: well under 1 GiB */
}

/* ---------------------------------------------------------------------
 * Files
 * --------------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    loc_ctx *ctx = *state;
    assert_null(loc_csv_read(ctx, "x"));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_string_equal(loc_errmsg(ctx), "cannot open 'x': No such file or directory");
    assert_null(loc_csv_read(ctx, "no/such/dir/t.csv"));
    assert_string_equal(loc_errmsg(ctx), "cannot open 'no/such/dir/t.csv': No such file or directory");
    /* a folder opens with fopen but is not a file */
    assert_null(loc_csv_read(ctx, "."));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_string_equal(loc_errmsg(ctx), "cannot open '.': Is a directory");
}

static void test_file_small(void **state)
{
    loc_ctx *ctx = *state;
    static const char text[] = "\xEF\xBB\xBF" "a,b\rx,1\ry,\"2\r3\"\r";
    char path[64];
    write_temp(path, sizeof path, text, sizeof text - 1);
    loc_csv *csv = loc_csv_read(ctx, path);
    unlink(path);
    assert_non_null(csv);
    assert_string_equal(loc_csv_name(csv), path);
    assert_string_equal(loc_csv_header(csv, 0), "a");
    assert_int_equal(loc_csv_nrows(csv), 2);
    assert_string_equal(loc_csv_field(csv, 1, 1), "2\r3");
    assert_int_equal(loc_csv_line(csv, 1), 3);
    loc_csv_destroy(csv);

    /* The same errors as from a buffer, with the path in them. */
    static const char bad[] = "a,b\nx,1\ny\n";
    write_temp(path, sizeof path, bad, sizeof bad - 1);
    assert_null(loc_csv_read(ctx, path));
    unlink(path);
    char expect[128];
    snprintf(expect, sizeof expect, "'%s' line 3: 1 fields but the header has 2", path);
    assert_string_equal(loc_errmsg(ctx), expect);
}

/* A file whose row 1 ends with CR as the last byte of the first chunk and
 * LF as the first byte of the second. */
static void test_file_crlf_across_chunks(void **state)
{
    loc_ctx *ctx = *state;
    size_t len = 3 * CHUNK;
    char *buf = malloc(len);
    size_t k = (size_t)sprintf(buf, "a,b\r\n");
    size_t fill = CHUNK - 1 - k - 2;
    memset(buf + k, 'x', fill);
    k += fill;
    k += (size_t)sprintf(buf + k, ",1");
    assert_int_equal(k, CHUNK - 1);
    k += (size_t)sprintf(buf + k, "\r\nz,2\r\nw,3\r\n");
    assert_int_equal(buf[CHUNK - 1], '\r');
    assert_int_equal(buf[CHUNK], '\n');

    char path[64];
    write_temp(path, sizeof path, buf, k);
    loc_csv *csv = loc_csv_read(ctx, path);
    unlink(path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 3);
    assert_int_equal(strlen(loc_csv_field(csv, 0, 0)), fill);
    assert_string_equal(loc_csv_field(csv, 0, 1), "1");
    assert_string_equal(loc_csv_field(csv, 1, 0), "z");
    assert_int_equal(loc_csv_line(csv, 0), 2);
    assert_int_equal(loc_csv_line(csv, 1), 3);
    assert_int_equal(loc_csv_line(csv, 2), 4);
    loc_csv_destroy(csv);

    /* Positions in messages count from the start of the line, across the
     * chunk boundary and after a CR LF split by it. */
    memcpy(buf + CHUNK + 1, "z,\0\r\n", 5);
    write_temp(path, sizeof path, buf, CHUNK + 6);
    assert_null(loc_csv_read(ctx, path));
    unlink(path);
    char expect[128];
    snprintf(expect, sizeof expect, "'%s' line 3: NUL byte at column 3; not a text file", path);
    assert_string_equal(loc_errmsg(ctx), expect);
    buf[CHUNK - 1] = 'x';
    buf[CHUNK] = 'x';
    buf[CHUNK + 1] = '\0';
    write_temp(path, sizeof path, buf, CHUNK + 6);
    assert_null(loc_csv_read(ctx, path));
    unlink(path);
    /* the NUL is at offset CHUNK + 1 and line 2 starts at offset 5 */
    snprintf(expect, sizeof expect, "'%s' line 2: NUL byte at column %d; not a text file", path, CHUNK - 3);
    assert_string_equal(loc_errmsg(ctx), expect);
    buf[CHUNK - 1] = '\r';

    /* A bare CR at the end of the chunk, then the next row. */
    buf[CHUNK] = 'z';
    memcpy(buf + CHUNK + 1, ",2\rw,3\r\n", 8);
    k = CHUNK + 9;
    write_temp(path, sizeof path, buf, k);
    csv = loc_csv_read(ctx, path);
    unlink(path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 3);
    assert_string_equal(loc_csv_field(csv, 1, 0), "z");
    assert_int_equal(loc_csv_line(csv, 1), 3);
    assert_int_equal(loc_csv_line(csv, 2), 4);
    loc_csv_destroy(csv);

    /* CR LF split inside a quoted field, then a row on the next line. */
    k = (size_t)sprintf(buf, "a,b\n\"");
    fill = CHUNK - 1 - k;
    memset(buf + k, 'q', fill);
    k += fill;
    k += (size_t)sprintf(buf + k, "\r\nq\",1\nz,2\n");
    write_temp(path, sizeof path, buf, k);
    csv = loc_csv_read(ctx, path);
    unlink(path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 2);
    assert_int_equal(strlen(loc_csv_field(csv, 0, 0)), fill + 3);
    assert_int_equal(loc_csv_line(csv, 0), 2);
    assert_int_equal(loc_csv_line(csv, 1), 4);
    loc_csv_destroy(csv);
    free(buf);
}

/* A multi-byte UTF-8 character straddling the chunk boundary is valid. */
static void test_file_utf8_across_chunks(void **state)
{
    loc_ctx *ctx = *state;
    static const char *const chars[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
    char *buf = malloc(2 * CHUNK);
    char path[64];
    for (size_t c = 0; c < 3; c++) {
        size_t clen = strlen(chars[c]);
        for (size_t before = 1; before < clen; before++) {
            size_t k = (size_t)sprintf(buf, "a,b\n");
            size_t fill = CHUNK - before - k;
            memset(buf + k, 'x', fill);
            k += fill;
            memcpy(buf + k, chars[c], clen);
            k += clen;
            k += (size_t)sprintf(buf + k, ",1\nz,2\n");
            write_temp(path, sizeof path, buf, k);
            loc_csv *csv = loc_csv_read(ctx, path);
            unlink(path);
            if (!csv)
                fail_msg("%zu-byte character, %zu bytes in the first chunk: %s", clen, before, loc_errmsg(ctx));
            const char *f = loc_csv_field(csv, 0, 0);
            assert_int_equal(strlen(f), fill + clen);
            assert_memory_equal(f + fill, chars[c], clen);
            assert_int_equal(loc_csv_line(csv, 1), 3);
            loc_csv_destroy(csv);
        }
    }

    /* An invalid sequence at the boundary is still refused, and a
     * truncated one at the end of the file. */
    size_t k = (size_t)sprintf(buf, "a,b\n");
    memset(buf + k, 'x', CHUNK - 1 - k);
    k = CHUNK - 1;
    memcpy(buf + k, "\xE2\x82,1\n", 5);
    k += 5;
    write_temp(path, sizeof path, buf, k);
    assert_null(loc_csv_read(ctx, path));
    char expect[160];
    snprintf(expect, sizeof expect, "'%s' line 2: invalid UTF-8 at byte %d (save the file as UTF-8)", path,
             CHUNK - 4);
    assert_string_equal(loc_errmsg(ctx), expect);
    unlink(path);

    k = (size_t)sprintf(buf, "a,b\nx,\xE2\x82");
    write_temp(path, sizeof path, buf, k);
    assert_null(loc_csv_read(ctx, path));
    snprintf(expect, sizeof expect, "'%s' line 2: invalid UTF-8 at byte 3 (save the file as UTF-8)", path);
    assert_string_equal(loc_errmsg(ctx), expect);
    unlink(path);
    free(buf);
}

/* A file of many chunks: every line number right. */
static void test_file_many_chunks(void **state)
{
    loc_ctx *ctx = *state;
    size_t rows = 60000;
    char *buf = malloc(rows * 24 + 64);
    size_t k = (size_t)sprintf(buf, "code,value\r\n");
    for (size_t i = 0; i < rows; i++)
        k += (size_t)sprintf(buf + k, i % 3 == 0 ? "S%07zu,%zu\r\n" : i % 3 == 1 ? "S%07zu,%zu\r" : "S%07zu,%zu\n",
                             i, i);
    char path[64];
    write_temp(path, sizeof path, buf, k);
    loc_csv *csv = loc_csv_read(ctx, path);
    unlink(path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), rows);
    for (size_t i = 0; i < rows; i++) {
        char expect[32];
        snprintf(expect, sizeof expect, "S%07zu", i);
        assert_string_equal(loc_csv_field(csv, i, 0), expect);
        assert_int_equal(loc_csv_line(csv, i), i + 2);
    }
    loc_csv_destroy(csv);
    free(buf);
}

static void test_real_simd2016(void **state)
{
    loc_ctx *ctx = *state;
    const char *path = LOC_SHARED_DIR "/simd/simd2016_withinds.csv";
    SKIP_WITHOUT_SHARED(path);
    loc_csv *csv = loc_csv_read(ctx, path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 6976);
    assert_int_equal(loc_csv_skipped(csv), 3);
    assert_int_equal(loc_csv_column(csv, "data_zone"), 0);
    assert_true(loc_csv_column(csv, "Working_age_population_Revised") > 0);
    loc_csv_destroy(csv);
}

static void test_real_simd2012(void **state)
{
    loc_ctx *ctx = *state;
    const char *path = LOC_SHARED_DIR "/simd/simd2012_withinds.csv";
    SKIP_WITHOUT_SHARED(path);
    loc_csv *csv = loc_csv_read(ctx, path);
    assert_non_null(csv);
    assert_int_equal(loc_csv_nrows(csv), 6505);
    assert_string_equal(loc_csv_header(csv, loc_csv_ncols(csv) - 1), "");
    assert_true(loc_csv_column(csv, "Number of Employment Deprived People 2012") > 0);
    loc_csv_destroy(csv);
}

/* ---------------------------------------------------------------------
 * Numbers
 * --------------------------------------------------------------------- */

static void expect_number(const char *s, double want)
{
    double v = -12345;
    loc_num r = loc_parse_number(s, &v);
    if (r != LOC_NUM_OK)
        fail_msg("'%s': result %d, expected a number", s, (int)r);
    if (!(fabs(v - want) <= 1e-12 * fabs(want)))
        fail_msg("'%s': %.17g, expected %.17g", s, v, want);
}

static void expect_num(const char *s, loc_num want)
{
    double v = -12345;
    loc_num r = loc_parse_number(s, &v);
    if (r != want)
        fail_msg("'%s': result %d, expected %d", s, (int)r, (int)want);
    assert_true(v == -12345); /* untouched */
}

/* Plain decimals of 1 to 25 digits with the point anywhere (or none), a
 * sign now and then: loc_parse_number's fast path must give strtod's
 * bits, including -0 and the ties of the last digit. */
static void test_parse_number_as_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x2545f4914f6cdd1du;
    char s[40];
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int nd = 1 + (int)(x % 25), point = (int)((x >> 8) % (nd + 2)), k = 0;
        if ((x >> 16) % 5 == 0)
            s[k++] = (x >> 20) & 1 ? '-' : '+';
        uint64_t y = x * 0x9e3779b97f4a7c15u;
        for (int d = 0; d < nd; d++) {
            if (d == point)
                s[k++] = '.';
            y ^= y << 13;
            y ^= y >> 7;
            y ^= y << 17;
            s[k++] = (char)('0' + y % 10);
        }
        s[k] = 0;
        double v = -12345, w = strtod(s, NULL);
        assert_int_equal(loc_parse_number(s, &v), LOC_NUM_OK);
        if (memcmp(&v, &w, sizeof v))
            fail_msg("'%s': %a, strtod %a", s, v, w);
    }
    const char *edge[] = {"9007199254740993", "0.1", "0.3", "123456789012345", "1234567890123456", "0.0000000000000000000001",
                          "0.00000000000000000000001", "4503599627370497.5", "-0.0", "+0", "2.2250738585072011e-308"};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        double v = -12345, w = strtod(edge[i], NULL);
        assert_int_equal(loc_parse_number(edge[i], &v), LOC_NUM_OK);
        if (memcmp(&v, &w, sizeof v))
            fail_msg("'%s': %a, strtod %a", edge[i], v, w);
    }
}

static void test_parse_number(void **state)
{
    (void)state;
    expect_number("0", 0);
    expect_number("894", 894);
    expect_number("5.88", 5.88);
    expect_number("-0.10", -0.10);
    expect_number("+3", 3);
    expect_number(".5", 0.5);
    expect_number("-.5", -0.5);
    expect_number("7.", 7);
    expect_number("4,726", 4726);
    expect_number("-4,726", -4726);
    expect_number("1,703", 1703);
    expect_number("1,234,567.5", 1234567.5);
    expect_number("999,999", 999999);
    expect_number("8%", 8);
    expect_number("0.5%", 0.5);
    expect_number("1,234%", 1234);
    expect_number(" 12 ", 12);
    expect_number("\t12\r\n", 12);
    expect_number("1e3", 1000);
    expect_number("2.5E-2", 0.025);
    expect_number("1e+3", 1000);
    expect_number("1,234e3", 1234000);
    expect_number("-0", 0);
    expect_number("0012", 12);
    double v;
    assert_int_equal(loc_parse_number("-0", &v), LOC_NUM_OK);
    assert_true(signbit(v));

    const char *missing[] = {"", "   ", "*", "NA", "na", "N/A", "n/a", "..", ".", "-", "x", "X", "c", "z", ":",
                             "NULL", "#N/A", " * ", "\tNA "};
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++)
        expect_num(missing[i], LOC_NUM_MISSING);

    const char *errvals[] = {"#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#N/A!", " #value! "};
    for (size_t i = 0; i < sizeof errvals / sizeof *errvals; i++)
        expect_num(errvals[i], LOC_NUM_ERRVAL);

    const char *bad[] = {"12a", "a12", "1,23", "1,2345", "1,234,56", "1,23,456", "12,34.5", "1234,567",
                         "12,345,6789", ",123", "1,", "1,,234", "1.5,000", "1e3,000", "nan", "NaN", "inf",
                         "-inf", "Infinity", "0x10", "0X1p3", "--1", "+-1", "1-", "1.2.3", "1e", "1e+", "e3",
                         "1e3e4", "1e400", "-1e400", "%", "8%%", "%8", "8 %", "1 2", "+", "+.", "-.", "1_000",
                         "1\302\240000", "12345678901234567890123456789012345678901234567890123456789012345678"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_num(bad[i], LOC_NUM_BAD);
}

/* The one CSV field writer: plain text as it is, quotes doubled inside
 * quotes, commas and line breaks quoted, spaces kept as they are. */
static void test_put_field(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_not_equal(loc_csv_put_field(f, "Raploch"), EOF);
    fputc('|', f);
    loc_csv_put_field(f, "Quote \"Q\" Town");
    fputc('|', f);
    loc_csv_put_field(f, "Edinburgh, City of");
    fputc('|', f);
    loc_csv_put_field(f, " padded");
    fclose(f);
    assert_string_equal(buf, "Raploch|\"Quote \"\"Q\"\" Town\"|\"Edinburgh, City of\"| padded");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_field),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_quoted_first_field_line),
        cmocka_unit_test(test_footnotes),
        cmocka_unit_test(test_empty_rows),
        cmocka_unit_test(test_trailing_empty_columns),
        cmocka_unit_test(test_header_trim),
        cmocka_unit_test(test_column),
        cmocka_unit_test(test_utf8_ok),
        cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_bad_quotes),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_duplicate_column),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_record_too_long),
        cmocka_unit_test(test_record_too_long_stream),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_file_small),
        cmocka_unit_test(test_file_crlf_across_chunks),
        cmocka_unit_test(test_file_utf8_across_chunks),
        cmocka_unit_test(test_file_many_chunks),
        cmocka_unit_test(test_real_simd2016),
        cmocka_unit_test(test_real_simd2012),
        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_parse_number_as_strtod),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, setup, teardown));
}
