/*
 * The HTML report of a run, report.html: plain HTML with inline SVG, an
 * inline style sheet and one small inline script (zoom, the indicator
 * selector, SVG downloads; the page is whole without it): no fonts,
 * images or scripts to fetch, so it opens anywhere, offline.  This file
 * holds the page: the tables for people, the profile of each locality
 * with its spine chart, the settings and sources, the map data for the
 * selector, and the writer's entry points; the maps are report_map.c's,
 * the charts report_chart.c's, the helpers report_html.c's, and
 * progress.html report_progress.c's.
 */
#include "report_internal.h"
#include "localities/stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Tables and page
 * --------------------------------------------------------------------- */

/* attrs column NAME + suffix, or -1. */
static long ind_col(const rep *r, const char *name, const char *suffix)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", name, suffix);
    return r->a ? loc_attrs_find(r->a, buf) : -1;
}

/* A flag column's value for locality k: 1 poorer, -1 better, 0 otherwise. */
static int flag_at(const rep *r, long col, size_t k)
{
    if (col < 0 || loc_attrs_type(r->a, (size_t)col) != LOC_ATTR_TEXT || loc_attrs_is_null(r->a, (size_t)col, k))
        return 0;
    const char *t = loc_attrs_text(r->a, (size_t)col, k);
    return !strcmp(t, "poorer") ? 1 : !strcmp(t, "better") ? -1 : 0;
}

/* Poorer cells of locality k against each comparator, over the
 * profile's indicators. */
static void poorer_counts(const rep *r, size_t k, size_t *rest, size_t *scot)
{
    *rest = *scot = 0;
    for (size_t j = 0; j < r->o->nindicators; j++) {
        *rest += flag_at(r, r->flag_cols[j][0], k) == 1;
        *scot += flag_at(r, r->flag_cols[j][1], k) == 1;
    }
}

/* Find the profile indicators' flag columns (by name, so once per report:
 * per locality it was a fifth of the report's time on all of Scotland). */
static loc_status find_flag_cols(rep *r)
{
    size_t n = r->o->nindicators;
    if (!(r->flag_cols = loc_malloc(r->ctx, (n ? n : 1) * sizeof *r->flag_cols)))
        return LOC_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        const char *nm = r->o->indicators[j].name;
        r->flag_cols[j][0] = ind_col(r, nm, "_flag_council_rest");
        r->flag_cols[j][1] = ind_col(r, nm, "_flag_scotland");
    }
    return LOC_OK;
}

static const char *reason_of(const rep *r, size_t k)
{
    if (r->reason_col < 0 || loc_attrs_is_null(r->a, (size_t)r->reason_col, k))
        return "";
    return loc_attrs_text(r->a, (size_t)r->reason_col, k);
}

/* Severity order: flagged first, then most poorer cells, then by code. */
typedef struct sev {
    int flag;         /* 1 when flagged */
    size_t poorer;    /* poorer cells against both comparators */
    const char *code; /* locality code */
    size_t k;         /* locality */
} sev;

static int cmp_severity(const void *va, const void *vb)
{
    const sev *a = va, *b = vb;
    if (a->flag != b->flag)
        return b->flag - a->flag;
    if (a->poorer != b->poorer)
        return a->poorer < b->poorer ? 1 : -1;
    return strcmp(a->code, b->code);
}

/* A locality's anchor: its code, which the characters of an HTML id
 * allow as it is (codes are plain). */
void rep_put_anchor(rep *r, size_t k)
{
    fputs("p-", r->f);
    rep_esc(r->f, loc_partition_code(r->d->p, k));
}

/* The table for people: one row per locality, the most severe first,
 * with the reason; every wide column stays in localities.csv. */
static loc_status put_tables(rep *r)
{
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t n = r->d->n, nf = 0;
    sev *order = loc_malloc(r->ctx, (n ? n : 1) * sizeof *order);
    if (!order)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        size_t pr, ps;
        poorer_counts(r, k, &pr, &ps);
        order[k] = (sev){rep_flagged(r, k) != 0, pr + ps, loc_partition_code(p, k), k};
        nf += order[k].flag;
    }
    qsort(order, n, sizeof *order, cmp_severity); /* codes are unique: a total order */
    fputs("<h2 id=\"localities\">Localities</h2>\n", f);
    if (r->flag_col >= 0) {
        loc_fprintf(f, "<p>%zu of %zu localities: ", nf, n);
        rep_esc(f, r->o->flag_label ? r->o->flag_label : "locality plan required");
        fputs(". The most severe first: flagged localities, then by the number of indicators on which the "
              "locality is significantly poorer. Every column of the assessment is in <code>localities.csv</code> "
              "and <code>indicators.csv</code>.</p>\n", f);
    }
    fputs("<table class=\"data people\"><thead><tr><th scope=\"col\">Locality</th><th scope=\"col\">Council</th>"
          "<th scope=\"col\" class=\"n\">Residents</th><th scope=\"col\" class=\"n\">Zones</th>"
          "<th scope=\"col\">Plan</th><th scope=\"col\">Why</th><th scope=\"col\" class=\"n\">Poorer than the rest of "
          "the council</th><th scope=\"col\" class=\"n\">Poorer than Scotland</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i].k, nm, pr, ps;
        loc_partition_members(p, k, &nm);
        poorer_counts(r, k, &pr, &ps);
        loc_fprintf(f, "<tr%s><td><a href=\"#", rep_flagged(r, k) ? " class=\"flag\"" : "");
        rep_put_anchor(r, k);
        fputs("\">", f);
        rep_esc(f, loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k));
        fputs("</a> <small>", f);
        rep_esc(f, loc_partition_code(p, k));
        fputs("</small></td><td>", f);
        rep_esc(f, rep_council_name(r, k));
        fputs("</td><td class=\"n\">", f);
        rep_num(f, loc_partition_population(p, k));
        loc_fprintf(f, "</td><td class=\"n\">%zu</td><td>%s</td><td class=\"why\">", nm,
                r->flag_col < 0 ? "&ndash;" : rep_flagged(r, k) ? "<b>required</b>" : "no");
        rep_esc(f, reason_of(r, k));
        loc_fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n", pr, ps);
    }
    fputs("</tbody></table>\n", f);
    loc_free(r->ctx, order);
    return LOC_OK;
}

/* Spine charts: per indicator, the spread of the localities' values
 * around Scotland's (lightest: lowest to highest, darker: the middle
 * half), worse to the left, as the public-health profiles draw them. */
typedef struct spine {
    double scot, half;   /* Scotland's value, and the largest distance from it */
    int worse;           /* 1 higher is worse */
    long v, rest, sc, fr, fs; /* attrs columns */
} spine;

static double spine_x(const spine *sp, double v)
{
    double t = (v - sp->scot) / sp->half;
    return 100 - 95 * (sp->worse > 0 ? t : -t);
}

static loc_status prepare_spines(rep *r, spine *sp)
{
    size_t n = r->d->n;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    FILE *f = r->f;
    fputs("<style>\n", f);
    for (size_t j = 0; j < r->o->nindicators; j++) {
        const loc_report_indicator *in = &r->o->indicators[j];
        spine *s = &sp[j];
        s->v = ind_col(r, in->name, "");
        s->rest = ind_col(r, in->name, "_council_rest");
        s->sc = ind_col(r, in->name, "_scotland");
        s->fr = ind_col(r, in->name, "_flag_council_rest");
        s->fs = ind_col(r, in->name, "_flag_scotland");
        s->worse = in->worse;
        s->scot = NAN;
        size_t m = 0;
        for (size_t k = 0; k < n && s->v >= 0; k++) {
            double x = loc_attrs_real(r->a, (size_t)s->v, k);
            if (isfinite(x))
                v[m++] = x;
            if (isnan(s->scot) && s->sc >= 0 && isfinite(loc_attrs_real(r->a, (size_t)s->sc, k)))
                s->scot = loc_attrs_real(r->a, (size_t)s->sc, k);
        }
        if (!m || isnan(s->scot)) {
            s->half = NAN;
            continue;
        }
        qsort(v, m, sizeof *v, rep_cmp_double);
        double lo = v[0], hi = v[m - 1], q1 = v[(m - 1) / 4], q3 = v[3 * (m - 1) / 4];
        s->half = fmax(fmax(fabs(lo - s->scot), fabs(hi - s->scot)), 1e-12);
        double a = spine_x(s, lo), b = spine_x(s, hi), c = spine_x(s, q1), d = spine_x(s, q3);
        /* the bars as background gradients of the cell: no element per
         * row but the two markers, so 1,240 profiles stay light */
        double xa = fmin(a, b) / 2, xb = fmax(a, b) / 2, xc = fmin(c, d) / 2, xd = fmax(c, d) / 2;
        loc_fprintf(f, "td.j%zu{background:linear-gradient(#000,#000) no-repeat 50%% 0/1px 100%%,linear-gradient(to right,"
                   "transparent %.1f%%,#e0e0e0 %.1f%%,#e0e0e0 %.1f%%,#a8a8a8 %.1f%%,#a8a8a8 %.1f%%,#e0e0e0 %.1f%%,"
                   "#e0e0e0 %.1f%%,transparent %.1f%%) no-repeat 0 50%%/100%% 8px}\n",
                j, xa, xa, xc, xc, fmax(xd, xc + 0.5), fmax(xd, xc + 0.5), fmax(xb, xa + 0.5), fmax(xb, xa + 0.5));
    }
    fputs("</style>\n", f);
    loc_free(r->ctx, v);
    return LOC_OK;
}

const char *rep_flag_word(int fl)
{
    return fl > 0 ? "poorer" : fl < 0 ? "better" : "";
}

/* An indicator's label up to its first parenthesis: "Income deprived
 * people (% of total population)" reads "Income deprived people". */
static const char *short_label(const loc_report_indicator *in, char *buf, size_t size)
{
    const char *l = in->label ? in->label : in->name;
    const char *par = strstr(l, " (");
    size_t n = par && par > l ? (size_t)(par - l) : strlen(l);
    if (n >= size)
        n = size - 1;
    memcpy(buf, l, n);
    buf[n] = 0;
    return buf;
}

/* One locality's profile. */
static void put_profile(rep *r, size_t k, const spine *sp)
{
    char lbuf[160];
    FILE *f = r->f;
    const loc_partition *p = r->d->p;
    size_t nm;
    loc_partition_members(p, k, &nm);
    const char *name = loc_partition_name(p, k)[0] ? loc_partition_name(p, k) : loc_partition_code(p, k);
    fputs("<section class=\"profile\" id=\"", f);
    rep_put_anchor(r, k);
    fputs("\"><h3>", f);
    rep_esc(f, name);
    fputs(" <small>", f);
    rep_esc(f, loc_partition_code(p, k));
    fputs("</small></h3>\n<p>", f);
    rep_esc(f, rep_council_name(r, k));
    fputs(" &middot; ", f);
    rep_num(f, loc_partition_population(p, k));
    loc_fprintf(f, " residents &middot; %zu zones &middot; %.1f km&sup2;</p>\n", nm, r->d->area[k] / 1e6);
    if (r->flag_col >= 0) {
        fputs(rep_flagged(r, k) ? "<p class=\"why flag\"><b>Locality plan required.</b> " : "<p class=\"why\">Not flagged. ",
              f);
        rep_esc(f, reason_of(r, k));
        fputs("</p>\n", f);
    }
    fputs("<div class=\"pf\">", f);
    if (r->group && r->group[k] >= 0) {
        /* the council's map and the locality's own path over it, both by
         * reference: the stroke is the highlight, the fill the same */
        const double *g = r->gsize[r->group[k]];
        loc_fprintf(f, "<svg class=\"pmap\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", g[0], g[1]);
        rep_esc(f, name);
        fputs(" on the map of ", f);
        rep_esc(f, rep_council_name(r, k));
        loc_fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\".5\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"2.5\"/></svg>",
                r->group[k], k);
        /* and a close-up: the same map, the view box around the locality */
        const double *b = r->bb[k];
        double w = fmax(b[2] - b[0], 4), h = fmax(b[3] - b[1], 4), side = fmax(w, h) * 1.6;
        double cxp = (b[0] + b[2]) / 2, cyp = (b[1] + b[3]) / 2;
        loc_fprintf(f, "<svg class=\"pmap\" viewBox=\"%.1f %.1f %.1f %.1f\" role=\"img\" aria-label=\"close-up of ",
                cxp - side / 2, cyp - side / 2, side, side);
        rep_esc(f, name);
        loc_fprintf(f, "\"><use href=\"#cm-%ld\" stroke=\"#777\" stroke-width=\"%.3f\"/><use href=\"#lp-%zu\" "
                   "stroke=\"#000\" stroke-width=\"%.3f\"/></svg>",
                r->group[k], .8 * side / 260, k, 2.5 * side / 260);
    }
    if (r->o->nindicators) {
        fputs("<table class=\"spine\"><thead><tr><th>Indicator</th><th>Locality</th><th>Rest of council</th>"
              "<th>Scotland</th><th>vs council</th><th>vs Scotland</th><th>worse &larr; &rarr; better</th>"
              "</tr></thead><tbody>\n", f);
        for (size_t j = 0; j < r->o->nindicators; j++) {
            const loc_report_indicator *in = &r->o->indicators[j];
            const spine *s = &sp[j];
            double v = s->v >= 0 ? loc_attrs_real(r->a, (size_t)s->v, k) : NAN;
            double rest = s->rest >= 0 ? loc_attrs_real(r->a, (size_t)s->rest, k) : NAN;
            int fr = flag_at(r, s->fr, k), fs = flag_at(r, s->fs, k);
            /* rows kept short: a profile per locality of all Scotland must fit */
            fputs("<tr><th>", f);
            rep_esc(f, short_label(in, lbuf, sizeof lbuf));
            fputs("</th><td>", f);
            rep_num(f, v);
            rep_esc(f, isnan(v) ? NULL : in->unit);
            fputs("</td><td>", f);
            rep_num(f, rest);
            fputs("</td><td>", f);
            rep_num(f, s->scot);
            fputs("</td>", f);
            for (int c = 0; c < 2; c++) {
                int fl = c ? fs : fr;
                if (!in->tested) {
                    fputs(c ? "" : "<td colspan=\"2\">not tested</td>", f);
                } else if (fl)
                    loc_fprintf(f, "<td class=\"f%d\">%s</td>", fl, rep_flag_word(fl));
                else
                    fputs("<td></td>", f);
            }
            /* a spine for the tested indicators; the others are described
             * by their numbers alone */
            if (in->tested && !isnan(s->half) && isfinite(v)) {
                loc_fprintf(f, "<td class=\"sp j%zu\">", j);
                if (isfinite(rest))
                    loc_fprintf(f, "<u style=\"left:%.0f%%\"></u>", fmin(fmax(spine_x(s, rest), 2), 198) / 2);
                loc_fprintf(f, "<i class=\"s%d\" style=\"left:%.0f%%\"></i>", fs, fmin(fmax(spine_x(s, v), 5), 195) / 2);
            } else {
                fputs("<td>", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>", f);
    }
    fputs("</div></section>\n", f);
}

static loc_status put_profiles(rep *r)
{
    if (!r->o->nindicators && !r->group)
        return LOC_OK;
    FILE *f = r->f;
    fputs("<h2 id=\"profiles\">Locality profiles</h2>\n<p>One section per locality: its place on its council's map "
          "(outlined in black), its facts and the reason it needs a plan or not, and every indicator against the "
          "rest of its council and Scotland. In each spine chart the black line is Scotland, the light bar the "
          "range of the localities of this report and the darker bar their middle half, worse to the left; the "
          "circle is the locality (red significantly poorer than Scotland, blue better, white neither, grey not "
          "tested) and the black diamond the rest of its council.</p>\n", f);
    spine *sp = loc_calloc(r->ctx, r->o->nindicators ? r->o->nindicators : 1, sizeof *sp);
    if (!sp)
        return LOC_ENOMEM;
    loc_status st = prepare_spines(r, sp);
    for (size_t k = 0; k < r->d->n && !st; k++)
        put_profile(r, k, sp);
    loc_free(r->ctx, sp);
    return st;
}

static void put_kv(FILE *f, const char *title, const char *id, const loc_kv *kv, size_t n)
{
    loc_fprintf(f, "<h2 id=\"%s\">%s</h2>\n", id, title);
    if (!n) {
        fputs("<p>None given.</p>\n", f);
        return;
    }
    fputs("<table class=\"kv\"><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th>", f);
        rep_esc(f, kv[i].key);
        fputs("</th><td>", f);
        rep_esc(f, kv[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* The page's one script, inline: zoom and pan on the maps (buttons for
 * the keyboard, the wheel and dragging for the mouse; every locality
 * named once zoomed in), the indicator the second maps show (every
 * indicator of the report, coloured in seven classes of about equal
 * numbers of localities, the legend in its units), and each map and chart
 * downloadable as SVG.  Without scripts the page is whole: income is
 * mapped and the maps are fixed. */
static const char SCRIPT[] =
    "(function(){\n"
    "var COL=['#ffffcc','#c7e9b4','#7fcdbb','#41b6c4','#1d91c0','#225ea8','#0c2c84'];\n"
    "function btn(t,l,f){var b=document.createElement('button');b.type='button';b.textContent=t;"
    "b.setAttribute('aria-label',l);b.onclick=f;return b;}\n"
    "document.querySelectorAll('svg.map:not(.inset)').forEach(function(svg){\n"
    " var v0=svg.getAttribute('viewBox').split(' ').map(Number),v=v0.slice();\n"
    " function set(){svg.setAttribute('viewBox',v.join(' '));var z=v0[2]/v[2];"
    "svg.classList.toggle('zoomed',z>=2);svg.style.setProperty('--lb',(10/z).toFixed(2)+'px');}\n"
    " function zoom(f,cx,cy){var w=Math.min(v0[2],Math.max(v0[2]/40,v[2]/f)),h=w*v0[3]/v0[2];"
    "if(cx===undefined){cx=v[0]+v[2]/2;cy=v[1]+v[3]/2;}"
    "v=[cx-(cx-v[0])*w/v[2],cy-(cy-v[1])*h/v[3],w,h];set();}\n"
    " var c=document.createElement('div');c.className='ctl';"
    "c.appendChild(btn('+','zoom in',function(){zoom(2);}));c.appendChild(btn('\\u2212','zoom out',function(){zoom(0.5);}));"
    "c.appendChild(btn('reset','show the whole council',function(){v=v0.slice();set();}));"
    "c.appendChild(btn('SVG','download this map as SVG',function(){save(svg,'map');}));svg.after(c);\n"
    " svg.addEventListener('wheel',function(e){e.preventDefault();var r=svg.getBoundingClientRect();"
    "zoom(e.deltaY<0?1.25:0.8,v[0]+(e.clientX-r.left)/r.width*v[2],v[1]+(e.clientY-r.top)/r.height*v[3]);},{passive:false});\n"
    " var d=null;svg.addEventListener('pointerdown',function(e){d=[e.clientX,e.clientY,v[0],v[1]];});"
    "window.addEventListener('pointerup',function(){d=null;});"
    "svg.addEventListener('pointermove',function(e){if(!d)return;var r=svg.getBoundingClientRect();"
    "v[0]=d[2]-(e.clientX-d[0])/r.width*v[2];v[1]=d[3]-(e.clientY-d[1])/r.height*v[3];set();});\n"
    "});\n"
    "function save(svg,name){var c=svg.cloneNode(true),NS=svg.namespaceURI;c.setAttribute('xmlns',NS);"
    "var st=document.createElementNS(NS,'style');st.textContent=document.querySelector('style').textContent;"
    "c.insertBefore(st,c.firstChild);var a=document.createElement('a');"
    "a.href=URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(c)],{type:'image/svg+xml'}));"
    "a.download=name+'.svg';document.body.appendChild(a);a.click();a.remove();}\n"
    "document.querySelectorAll('figure.funnel').forEach(function(fg){var s=fg.querySelectorAll('svg');"
    "var c=document.createElement('div');c.className='ctl';"
    "s.forEach(function(x,i){c.appendChild(btn('SVG '+(i?'(council)':'(Scotland)'),'download this chart as SVG',"
    "function(){save(x,(fg.dataset.indicator||'chart')+(i?'-council':'-scotland'));}));});fg.appendChild(c);});\n"
    "var el=document.getElementById('ind-data');if(!el)return;var D=JSON.parse(el.textContent);\n"
    "var sel=document.createElement('select');sel.id='ind-select';"
    "D.ind.forEach(function(x,j){var o=document.createElement('option');o.value=j;o.textContent=x.l;"
    "if(x.n===D.cur)o.selected=true;sel.appendChild(o);});\n"
    "var lab=document.createElement('label');lab.textContent='Indicator on the second maps: ';lab.appendChild(sel);"
    "var p=document.createElement('p');p.className='ctl';p.appendChild(lab);"
    "document.getElementById('maps').after(p);\n"
    "function fmt(x){return Math.abs(x)>=1000||x===Math.floor(x)?Math.round(x).toLocaleString('en-GB'):"
    "Math.abs(x)>=10?x.toFixed(1):x.toPrecision(3);}\n"
    "sel.onchange=function(){var j=+sel.value,x=D.ind[j],vals=D.v[j],s=vals.filter(function(a){return a!==null;})"
    ".sort(function(a,b){return a-b;}),br=[];for(var c=0;c<=7;c++)br.push(s.length?s[Math.floor(c*(s.length-1)/7)]:NaN);\n"
    " document.querySelectorAll('path[data-k]').forEach(function(p){var a=vals[+p.dataset.k],c=-1;"
    "if(a!==null&&s.length){c=0;while(c+1<7&&a>=br[c+1])c++;}p.setAttribute('fill',c<0?'#fff':COL[c]);"
    "var t=p.querySelector('title');t.textContent=t.textContent.replace(/: .*$/,': '+(a===null?'no value':fmt(a)+(x.u||'')));});\n"
    " document.querySelectorAll('.legend.vl').forEach(function(lg){var h='<b></b> (7 classes of about equal numbers of "
    "localities, all councils)<br>';for(var c=0;c<7&&s.length;c++){if(c>0&&c+1<7&&br[c]===br[c+1])continue;"
    "h+='<span><i style=\"background:'+COL[c]+'\"></i>'+fmt(br[c])+'\\u2013'+fmt(br[c+1])+'</span>';}"
    "lg.innerHTML=h+'<span><i style=\"background:#fff\"></i>no value</span>';lg.querySelector('b').textContent=x.l;});};\n"
    "})();\n";

/* The selector's measure j: the profiles' indicators, then map_extra. */
static const loc_report_indicator *map_measure(const rep *r, size_t j)
{
    return j < r->o->nindicators ? &r->o->indicators[j] : &r->o->map_extra[j - r->o->nindicators];
}

/* The report's own tables (opts->tables), each a section. */
static void put_extra_tables(rep *r)
{
    FILE *f = r->f;
    for (size_t t = 0; t < r->o->ntables; t++) {
        const loc_report_table *tb = &r->o->tables[t];
        loc_fprintf(f, "<h2 id=\"");
        rep_esc(f, tb->id);
        fputs("\">", f);
        rep_esc(f, tb->title);
        fputs("</h2>\n", f);
        if (tb->intro) {
            fputs("<p>", f);
            rep_esc(f, tb->intro);
            fputs("</p>\n", f);
        }
        if (!tb->nrows)
            continue;
        fputs("<table class=\"data people\"><thead><tr>", f);
        for (size_t c = 0; c < tb->ncols; c++) {
            fputs("<th scope=\"col\">", f);
            rep_esc(f, tb->head[c]);
            fputs("</th>", f);
        }
        fputs("</tr></thead><tbody>\n", f);
        for (size_t i = 0; i < tb->nrows; i++) {
            fputs("<tr>", f);
            for (size_t c = 0; c < tb->ncols; c++) {
                fputs("<td>", f);
                rep_esc(f, tb->cells[i * tb->ncols + c]);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
}

/* The values behind the indicator selector, as JSON (NaN as null). */
static void put_map_data(rep *r)
{
    FILE *f = r->f;
    if (!(r->o->nindicators + r->o->nmap_extra) || r->value_col < 0)
        return;
    fputs("<script type=\"application/json\" id=\"ind-data\">{\"cur\":\"", f);
    rep_json_text(f, loc_attrs_name(r->a, (size_t)r->value_col));
    fputs("\",\"ind\":[", f);
    size_t shown = 0;
    size_t nall = r->o->nindicators + r->o->nmap_extra;
    for (size_t j = 0; j < nall; j++) {
        const loc_report_indicator *in = map_measure(r, j);
        if (ind_col(r, in->name, "") < 0)
            continue;
        fputs(shown++ ? ",{\"n\":\"" : "{\"n\":\"", f);
        rep_json_text(f, in->name);
        fputs("\",\"l\":\"", f);
        rep_json_text(f, in->label ? in->label : in->name);
        fputs("\",\"u\":\"", f);
        rep_json_text(f, in->unit ? in->unit : "");
        fputs("\"}", f);
    }
    fputs("],\"v\":[", f);
    shown = 0;
    for (size_t j = 0; j < nall; j++) {
        long col = ind_col(r, map_measure(r, j)->name, "");
        if (col < 0)
            continue;
        fputs(shown++ ? ",[" : "[", f);
        for (size_t k = 0; k < r->d->n; k++) {
            double v = loc_attrs_real(r->a, (size_t)col, k);
            if (k)
                fputc(',', f);
            if (isfinite(v))
                loc_put_g(f, v, 6);
            else
                fputs("null", f);
        }
        fputc(']', f);
    }
    fputs("]}</script>\n", f);
}

const char rep_style_sheet[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}\n"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
    "h3 small,h1 small{color:#666;font-weight:normal}\n"
    ".maps{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:1em}.pair>div{flex:1 1 420px;max-width:560px}"
    ".pair svg{width:100%;height:auto}\n"
    "svg.map path{stroke:#555;stroke-width:.6;stroke-linejoin:round;fill-rule:evenodd;vector-effect:non-scaling-stroke}\n"
    "svg.map path:hover{stroke:#000;stroke-width:1.5}\n"
    ".legend{font-size:.8em;margin:.3em 0;max-width:560px}.legend span{display:inline-block;margin-right:.8em}\n"
    ".legend i{display:inline-block;width:.9em;height:.9em;border:1px solid #888;vertical-align:middle;"
    "margin-right:.25em}\n"
    ".legend i.ln{width:1.4em;height:0;border:0;border-top:2px solid}.legend i.ln.dash{border-top-style:dashed}\n"
    ".legend i.dot{border-radius:50%}\n"
    ".pair circle{r:3.5px;fill:#bdbdbd;stroke:#666}i.in{background:#bdbdbd}\n"
    ".pair circle.worse,i.worse{fill:#b2182b;background:#b2182b;stroke:#333}\n"
    ".pair circle.better,i.better{fill:#2166ac;background:#2166ac;stroke:#333}\n"
    "circle.off{stroke-dasharray:2 1;stroke-width:2}\n"
    "path.band{fill:none;stroke:#9e9e9e;stroke-width:3;stroke-opacity:.45}.legend i.band{width:.35em;background:#bdbdbd;"
    "border:0}\n"
    "p.sub{margin:.2em 0;color:#444;font-size:.9em}p.off{font-size:.8em;color:#555;max-width:560px}\n"
    "text.tick{font-size:11px;fill:#444}text.axis{font-size:12px;fill:#222}\n"
    "figcaption{font-weight:bold;margin:.5em 0}\n"
    "table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .5em;border-bottom:1px solid #e4e4e4;"
    "text-align:left}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.flag td{background:#fde0dd}\n"
    ".scroll{overflow-x:auto}table.kv th{font-weight:normal;color:#555}\n"
    "table.people{width:100%}table.people thead th{position:sticky;top:0;background:#fff;"
    "box-shadow:0 1px 0 #999;vertical-align:bottom}td.why{max-width:34em;font-size:.95em}table.people small{white-space:nowrap}\n"
    "text.lb{font-size:var(--lb,10px);fill:#111;text-anchor:middle;paint-order:stroke;stroke:#fff;"
    "stroke-width:calc(var(--lb,10px)*.3);"
    "stroke-linejoin:round;pointer-events:none}text.lb.o{display:none}svg.zoomed text.lb.o{display:inline}\n"
    ".scale path{fill:none;stroke:#222}.scale text,text.credit{font-size:8px;fill:#444}\n"
    "header.tb{border-bottom:2px solid #222;margin-bottom:1em}header.tb p{margin:.3em 0}\n"
    "section.profile{border-top:1px solid #ccc;margin-top:1.2em}section.profile h3{margin:.6em 0 .2em}\n"
    ".pf{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}svg.pmap{width:260px;height:auto;"
    "border:1px solid #ccc}path.hl{fill:none;stroke:#000;stroke-width:2.5}\n"
    "table.spine caption{text-align:left;font-weight:bold;margin-bottom:.3em}table.spine svg{width:200px;"
    "height:14px;display:block}table.spine td:nth-child(2),table.spine td:nth-child(3),table.spine td:nth-child(4)"
    "{text-align:right;font-variant-numeric:tabular-nums}\n"
    "table.ft td:nth-child(2),table.ft td:nth-child(4),table.ft td:nth-child(5){text-align:right}\n"
    "td.sp{position:relative;width:200px;min-width:200px;height:14px;padding:0;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}td.sp i,td.sp u{position:absolute;top:50%;box-sizing:border-box}"
    "td.sp i{width:10px;height:10px;margin:-5px 0 0 -5px;border-radius:50%;border:1px solid #333}"
    "td.sp u{width:8px;height:8px;margin:-4px 0 0 -4px;background:#000;transform:rotate(45deg)}\n"
    "td.f1{color:#b2182b;font-weight:bold}td.f-1{color:#2166ac}"
    "i.s1{background:#b2182b}i.s-1{background:#2166ac}i.s0{background:#fff}"
    "\n"
    /* a report of all Scotland holds 1,240 profiles and 36 charts of 1,240
     * points: the browser lays out only what is on screen */
    "section.profile,figure.funnel,section.council{content-visibility:auto;contain-intrinsic-size:auto 700px}\n"
    ".ctl{margin:.2em 0 .6em}.ctl button{font:inherit;font-size:.8em;margin-right:.3em;padding:.1em .5em}\n"
    "svg.map:not(.inset){cursor:grab;touch-action:none}\n"
    "p.why.flag{background:#fde0dd;padding:.3em .5em}footer{margin-top:2em;font-size:.8em;color:#444;"
    "border-top:1px solid #ccc}\n"
    "@media print{@page{size:A4 portrait;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:9.5pt}"
    "nav,.ctl{display:none}section.council,section.profile,h2{break-before:page}figure,.pair>div,tr{break-inside:avoid}"
    "thead{display:table-header-group}table.people thead th{position:static;box-shadow:none}"
    ".pair>div{flex:1 1 100%}svg{max-width:100%;height:auto}td.why{max-width:none}}\n";

/* The councils the report covers: their names when few, else a count. */
static void put_scope(rep *r)
{
    const loc_zones *z = loc_partition_zones(r->d->p);
    size_t nc = loc_zones_ncouncils(z), used = 0;
    uint8_t *seen = loc_calloc(r->ctx, nc ? nc : 1, 1);
    if (!seen)
        return;
    for (size_t k = 0; k < r->d->n; k++) {
        int32_t c = loc_partition_council(r->d->p, k);
        if (c >= 0 && !seen[c]) {
            seen[c] = 1;
            used++;
        }
    }
    if (used && used <= 3) {
        size_t shown = 0;
        for (size_t c = 0; c < nc; c++)
            if (seen[c]) {
                fputs(shown++ ? ", " : "", r->f);
                rep_esc(r->f, loc_zones_council_name(z, c));
            }
        fputs(": ", r->f);
    } else if (used) {
        loc_fprintf(r->f, "%zu council areas: ", used);
    }
    loc_free(r->ctx, seen);
}

static loc_status put_page(rep *r)
{
    FILE *f = r->f;
    const char *title = r->o->title ? r->o->title : "Localities";
    size_t nflag = 0;
    double pop = 0;
    for (size_t k = 0; k < r->d->n; k++) {
        nflag += rep_flagged(r, k) != 0;
        pop += loc_partition_population(r->d->p, k);
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    rep_esc(f, title);
    loc_fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header class=\"tb\"><h1>", rep_style_sheet);
    rep_esc(f, title);
    fputs("</h1>\n<p>", f);
    put_scope(r);
    rep_grouped(f, (double)r->d->n);
    fputs(" localities, ", f);
    rep_grouped(f, pop);
    fputs(" residents", f);
    if (r->flag_col >= 0)
        loc_fprintf(f, "; %zu flagged", nflag);
    fputc('.', f);
    if (r->o->date) {
        fputs(" ", f);
        rep_esc(f, r->o->date);
        fputc('.', f);
    }
    fputs("</p>\n", f);
    if (r->o->nsources) {
        fputs("<p>Data: ", f);
        for (size_t i = 0; i < r->o->nsources; i++) {
            fputs(i ? "; " : "", f);
            rep_esc(f, r->o->sources[i].key);
            fputs(" <code>", f);
            /* the file's name: its folder belongs to the machine, and the
             * full path is in the sources table below */
            const char *v = r->o->sources[i].value ? r->o->sources[i].value : "";
            const char *slash = strrchr(v, '/');
            rep_esc(f, slash ? slash + 1 : v);
            fputs("</code>", f);
        }
        fputs(".</p>\n", f);
    }
    fputs("</header>\n<nav><p><a href=\"#maps\">Maps</a> &middot; <a href=\"#funnels\">Funnel plots</a> &middot; "
          "<a href=\"#localities\">Localities</a> &middot; <a href=\"#profiles\">Profiles</a> &middot; "
          "<a href=\"#settings\">Settings</a></p></nav>\n", f);
    fputs("<h2 id=\"maps\">Maps</h2>\n", f);
    loc_status st = rep_put_maps(r);
    if (st)
        return st;
    fputs("<h2 id=\"funnels\">Funnel plots</h2>\n", f);
    if (!r->o->nfunnels)
        fputs("<p>No indicator was chosen for funnel plots.</p>\n", f);
    else
        fputs("<p>One figure per tested indicator.  Left, against Scotland: each point is a locality, the "
              "black line Scotland's value and the red lines the decision limits; a point outside them is "
              "flagged significantly poorer (or better), and every flag is a point outside them.  Right, against "
              "the rest of its council: each point is a locality's difference from the rest of its council, the "
              "grey band its own decision limit; a point beyond its band is flagged.</p>\n<div>\n", f);
    for (size_t i = 0; i < r->o->nfunnels && !st; i++)
        st = rep_put_funnel(r, &r->o->funnels[i], i);
    if (r->o->nfunnels)
        fputs("</div>\n", f);
    if (st)
        return st;
    if ((st = put_tables(r)) || (st = put_profiles(r)))
        return st;
    put_extra_tables(r);
    put_kv(f, "Settings", "settings", r->o->settings, r->o->nsettings);
    put_kv(f, "Data sources", "sources", r->o->sources, r->o->nsources);
    put_map_data(r);
    loc_fprintf(f, "<script>\n%s</script>\n", SCRIPT);
    fputs("<footer>", f);
    for (size_t i = 0; i < r->o->nattribution; i++) {
        fputs("<p>", f);
        rep_esc(f, r->o->attribution[i]);
        fputs("</p>", f);
    }
    fputs("<p>Written by Localities " LOC_VERSION ".</p></footer>\n</body>\n</html>\n", f);
    return LOC_OK;
}

/* Resolve a named column of the wanted type. */
static loc_status report_column(loc_ctx *ctx, const loc_attrs *a, const char *name, loc_attr_type type, long *col,
                                const char *path)
{
    *col = -1;
    if (!name)
        return LOC_OK;
    if (!a || (*col = loc_attrs_find(a, name)) < 0)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': no attribute column '%s'", path, name);
    if (loc_attrs_type(a, (size_t)*col) != type)
        return loc_error(ctx, LOC_EINVAL, "cannot write '%s': attribute column '%s' is not %s", path, name,
                         type == LOC_ATTR_INT ? "an integer flag" : "a real value");
    return LOC_OK;
}

/* Free what the report state owns. */
static void free_rep(rep *r)
{
    loc_free(r->ctx, r->group);
    loc_free(r->ctx, r->bb);
    r->bb = NULL;
    loc_free(r->ctx, r->lpt);
    loc_free(r->ctx, r->lpt_state);
    r->lpt = NULL;
    r->lpt_state = NULL;
    loc_free(r->ctx, r->gsize);
    loc_free(r->ctx, r->simple);
    loc_free(r->ctx, r->flag_cols);
    r->group = NULL;
    r->gsize = NULL;
    r->simple = NULL;
    r->flag_cols = NULL;
}

/* Write report.html to a temporary beside path; *tmp gets it. */
loc_status loc_wr_stage_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                               const loc_report_opts *opts, const char *path, char **tmp)
{
    loc_report_opts none = {0};
    rep r = {.ctx = ctx, .d = d, .a = attrs, .o = opts ? opts : &none};
    *tmp = NULL;
    loc_status st = loc_wr_check_attrs(ctx, d, attrs, path);
    if (st || (st = report_column(ctx, attrs, r.o->flag_column, LOC_ATTR_INT, &r.flag_col, path)) ||
        (st = report_column(ctx, attrs, r.o->value_column, LOC_ATTR_REAL, &r.value_col, path)))
        return st;
    for (size_t i = 0; i < r.o->nfunnels; i++) {
        const loc_funnel *fu = &r.o->funnels[i];
        if (!fu->value || !fu->size || !fu->flag_scotland || !fu->limits || !fu->diff || !fu->limit ||
            !fu->flag_rest)
            return loc_error(ctx, LOC_EINVAL, "cannot write '%s': funnel plot %zu lacks values, sizes, flags or limits",
                             path, i + 1);
    }
    if ((st = rep_value_breaks(&r)))
        return st;
    if ((st = report_column(ctx, attrs, r.o->reason_column, LOC_ATTR_TEXT, &r.reason_col, path)))
        return st;
    size_t ng = loc_zones_ncouncils(loc_partition_zones(d->p)) + 1;
    r.ngroups = ng;
    if (!(r.simple = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.simple)) ||
        !(r.group = loc_malloc(ctx, (d->n ? d->n : 1) * sizeof *r.group)) ||
        !(r.bb = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.bb)) ||
        !(r.lpt = loc_malloc(ctx, (d->n ? d->n : 1) * sizeof *r.lpt)) ||
        !(r.lpt_state = loc_calloc(ctx, d->n ? d->n : 1, sizeof *r.lpt_state)) ||
        !(r.gsize = loc_calloc(ctx, ng, sizeof *r.gsize)) || find_flag_cols(&r)) {
        free_rep(&r);
        return LOC_ENOMEM;
    }
    for (size_t k = 0; k < d->n; k++)
        r.group[k] = -1;
    loc_afile af;
    if (!(st = loc_afile_open(ctx, &af, path))) {
        r.f = af.f;
        /* flushed and on disk before anyone renames it into place */
        st = loc_afile_stage(ctx, &af, put_page(&r), tmp);
        r.f = NULL;
    }
    for (size_t k = 0; k < d->n; k++)
        if (r.simple[k])
            GEOSGeom_destroy_r(loc_geos(ctx), r.simple[k]);
    free_rep(&r);
    return st;
}

loc_status loc_write_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                            const loc_report_opts *opts, const char *path)
{
    char *tmp;
    loc_status st = loc_wr_stage_report(ctx, d, attrs, opts, path, &tmp);
    return st ? st : loc_afile_commit(ctx, tmp, path);
}
