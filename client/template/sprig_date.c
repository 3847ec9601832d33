/*
 * sprig_date.c - now, date, dateInZone (date_in_zone), htmlDate, htmlDateInZone,
 * dateModify (date_modify, mustDateModify, must_date_modify), toDate, mustToDate,
 * unixEpoch, ago, duration, durationRound.
 *
 * Values of type time.Time are documents (see sprig.h and sprig_time.c).  Like Sprig,
 * date/dateInZone/htmlDate accept a time or an integer (int, int32, int64: Unix seconds)
 * and use the current time for anything else; an unknown zone name falls back to UTC.
 * `duration` honours int64 values and numeric strings only (a plain int gives "0s", as
 * in Sprig 3.2.3).
 */
#include "sprig_fns.h"

/* A time.Time parameter. */
static int arg_time(struct tmpl_call *call, const struct doc *d, struct sprig_time *t)
{
    if (sprig_time_from_doc(d, t) != 0)
        return sprig_wrong_type(call, "time.Time", d);
    return 0;
}

/* 1 when d holds an integer of one of Go's types int, int32 or int64. */
static int go_int(const struct doc *d, int64_t *v)
{
    if (d == NULL || d->type != DOC_INT)
        return 0;
    if (d->tag != NULL && !sprig_tag_is(d, "int") && !sprig_tag_is(d, "int64") &&
        !sprig_tag_is(d, "int32"))
        return 0;
    *v = d->v.i;
    return 1;
}

/* The time argument of date & co: a time, Unix seconds, or now. */
static void date_value(const struct doc *d, struct sprig_time *t)
{
    int64_t secs;

    if (sprig_time_from_doc(d, t) == 0)
        return;
    sprig_time_now(t);
    if (go_int(d, &secs)) {
        t->sec = secs;
        t->nsec = 0;
    }
}

/* Format argv[date] in zone with the layout. */
static int date_in_zone(struct tmpl_call *call, struct doc **out, struct sstr layout,
                        const struct doc *date, const char *zone, size_t zlen)
{
    struct sprig_time t;
    struct dbuf b = DBUF_INIT;
    char name[128];

    date_value(date, &t);
    snprintf(name, sizeof(name), "%.*s", (int)(zlen < sizeof(name) ? zlen : 0), zone);
    if (zlen >= sizeof(name) || memchr(zone, '\0', zlen) != NULL ||
        sprig_time_set_location(&t, name) != 0)
        sprig_time_set_location(&t, "UTC");
    if (sprig_time_format(&t, layout.p, layout.len, &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_date)
{
    struct sstr layout;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &layout)) != 0)
        return r;
    return date_in_zone(call, out, layout, argv[1], "Local", 5);
}

SPRIG_FN(sprig_date_in_zone)
{
    struct sstr layout, zone;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &layout)) != 0 ||
        (r = sprig_arg_str(call, argv[2], &zone)) != 0)
        return r;
    return date_in_zone(call, out, layout, argv[1], zone.p, zone.len);
}

SPRIG_FN(sprig_html_date)
{
    struct sstr layout = {"2006-01-02", 10};

    return date_in_zone(call, out, layout, argv[0], "Local", 5);
}

SPRIG_FN(sprig_html_date_in_zone)
{
    struct sstr layout = {"2006-01-02", 10}, zone;
    int r;

    if ((r = sprig_arg_str(call, argv[1], &zone)) != 0)
        return r;
    return date_in_zone(call, out, layout, argv[0], zone.p, zone.len);
}

SPRIG_FN(sprig_now)
{
    struct sprig_time t;

    sprig_time_now(&t);
    return sprig_ret_doc(call, out, sprig_time_doc(&t));
}

SPRIG_FN(sprig_unix_epoch)
{
    struct sprig_time t;
    char s[32];
    int r;

    if ((r = arg_time(call, argv[0], &t)) != 0)
        return r;
    snprintf(s, sizeof(s), "%lld", (long long)t.sec);
    return sprig_ret_str(call, out, s, strlen(s));
}

/* t.Add(d) */
static void time_add(struct sprig_time *t, int64_t d)
{
    int64_t s = d / 1000000000, ns = d % 1000000000 + t->nsec;

    if (ns >= 1000000000) {
        s++;
        ns -= 1000000000;
    } else if (ns < 0) {
        s--;
        ns += 1000000000;
    }
    t->sec += s;
    t->nsec = (int32_t)ns;
}

static int date_modify(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sstr mod;
    struct sprig_time t;
    char err[256];
    int64_t d;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &mod)) != 0 || (r = arg_time(call, argv[1], &t)) != 0)
        return r;
    if (sprig_parse_duration(mod.p, mod.len, &d, err, sizeof(err)) != 0) {
        if (must)
            return tmpl_call_fail(call, "%s", err);
        return sprig_ret_copy(call, out, argv[1]);
    }
    time_add(&t, d);
    return sprig_ret_doc(call, out, sprig_time_doc(&t));
}

SPRIG_FN(sprig_date_modify)
{
    return date_modify(call, argv, out, 0);
}

SPRIG_FN(sprig_must_date_modify)
{
    return date_modify(call, argv, out, 1);
}

static int to_date(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sstr layout, s;
    struct sprig_time t;
    char err[512];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &layout)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    if (sprig_time_parse(layout.p, layout.len, s.p, s.len, "Local", &t, err, sizeof(err)) != 0) {
        if (must)
            return tmpl_call_fail(call, "%s", err);
        memset(&t, 0, sizeof(t)); /* the zero Time: 0001-01-01 00:00:00 UTC */
        t.sec = -62135596800LL;
        snprintf(t.loc, sizeof(t.loc), "UTC");
    }
    return sprig_ret_doc(call, out, sprig_time_doc(&t));
}

SPRIG_FN(sprig_to_date)
{
    return to_date(call, argv, out, 0);
}

SPRIG_FN(sprig_must_to_date)
{
    return to_date(call, argv, out, 1);
}

/* time.Since(t) in nanoseconds, saturating like Time.Sub. */
static int64_t since(const struct sprig_time *t)
{
    struct sprig_time now;
    int64_t ds, dns;

    sprig_time_now(&now);
    ds = now.sec - t->sec;
    dns = (int64_t)now.nsec - t->nsec;
    if (ds > INT64_MAX / 1000000000 - 1)
        return INT64_MAX;
    if (ds < INT64_MIN / 1000000000 + 1)
        return INT64_MIN;
    return ds * 1000000000 + dns;
}

/* Duration.Round(time.Second). */
static int64_t round_second(int64_t d)
{
    const int64_t m = 1000000000;
    int64_t r = d % m;

    if (d < 0) {
        r = -r;
        if ((uint64_t)r + (uint64_t)r < (uint64_t)m)
            return d + r;
        return d - m + r < d ? d - m + r : INT64_MIN;
    }
    if ((uint64_t)r + (uint64_t)r < (uint64_t)m)
        return d - r;
    return d + m - r > d ? d + m - r : INT64_MAX;
}

SPRIG_FN(sprig_ago)
{
    struct sprig_time t;
    struct dbuf b = DBUF_INIT;
    int64_t secs;

    if (sprig_time_from_doc(argv[0], &t) != 0) {
        sprig_time_now(&t);
        if (go_int(argv[0], &secs) && !sprig_tag_is(argv[0], "int32")) {
            t.sec = secs;
            t.nsec = 0;
        }
    }
    if (sprig_format_duration(round_second(since(&t)), &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_duration)
{
    struct dbuf b = DBUF_INIT;
    int64_t n = 0;
    const struct doc *d = argv[0];

    if (d != NULL && d->type == DOC_STR && !sprig_is_time(d)) {
        if (sprig_parse_int(d->v.s.ptr, d->v.s.len, 10, &n) != 0)
            n = 0;
    } else if (d != NULL && d->type == DOC_INT && sprig_tag_is(d, "int64")) {
        n = d->v.i;
    }
    if (sprig_format_duration((int64_t)((uint64_t)n * 1000000000u), &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_duration_round)
{
    static const struct {
        uint64_t unit;
        const char *suffix;
    } units[] = {{UINT64_C(31536000000000000), "y"}, {UINT64_C(2592000000000000), "m"},
                 {UINT64_C(86400000000000), "d"},    {UINT64_C(3600000000000), "h"},
                 {UINT64_C(60000000000), "m"},       {UINT64_C(1000000000), "s"}};
    const struct doc *d = argv[0];
    struct sprig_time t;
    int64_t v = 0;
    uint64_t u;
    char err[128], s[32];

    if (sprig_time_from_doc(d, &t) == 0) {
        v = since(&t);
    } else if (d != NULL && d->type == DOC_STR) {
        if (sprig_parse_duration(d->v.s.ptr, d->v.s.len, &v, err, sizeof(err)) != 0)
            v = 0;
    } else if (d != NULL && d->type == DOC_INT && sprig_tag_is(d, "int64")) {
        v = d->v.i;
    }
    u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (u > units[i].unit) {
            snprintf(s, sizeof(s), "%llu%s", (unsigned long long)(u / units[i].unit),
                     units[i].suffix);
            return sprig_ret_str(call, out, s, strlen(s));
        }
    }
    return sprig_ret_str(call, out, "0s", 2);
}
