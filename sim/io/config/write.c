/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * write.c - the resolved configuration: every parameter, given or
 * defaulted, as a libconfig text that loads back to the same parameters;
 * and the escaping of strings that every config the program writes uses.
 */
#include "io/config/scenario.h"
#include "io/priors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\x%02x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

static void put_real(FILE *f, double v)
{
    /* the shortest decimal that reads back as the same double */
    char b[64];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, v);
        if (strtod(b, NULL) == v)
            break;
    }
    size_t len = strlen(b);
    if (!strpbrk(b, ".eEn") && len + 2 < sizeof b)
        memcpy(b + len, ".0", 3);
    fputs(b, f);
}

static void put_value(FILE *f, const model_params *p, param_ref r)
{
    const param_def *d = r.def;
    const void *a = param_addr((model_params *)p, r);
    char buf[PARAM_NAME_MAX];
    switch (d->type) {
    case PT_REAL: put_real(f, *(const double *)a); break;
    case PT_INT: fprintf(f, "%d", *(const int *)a); break;
    case PT_BOOL: fputs(*(const double *)a != 0.0 ? "true" : "false", f); break;
    case PT_STRING: config_put_string(f, (const char *)a); break;
    case PT_CHOICE:
        config_put_string(f, config_choice_name(d->choices, *(const int *)a, buf,
                                                sizeof buf));
        break;
    }
}

/* ` <name>_prior = "...";` after a parameter that has one (io/priors.h). */
static void put_prior(FILE *f, const char *name, const model_params *p, param_ref r)
{
    const prior *pr = params_prior_of(p, r);
    char text[200];
    if (!pr)
        return;
    prior_format(pr, text, sizeof text);
    fprintf(f, " %s_prior = ", name);
    config_put_string(f, text);
    fputc(';', f);
}

static void put_line(FILE *f, const char *indent, const model_params *p,
                     param_ref r)
{
    fprintf(f, "%s%s = ", indent, r.def->key);
    put_value(f, p, r);
    fprintf(f, ";");
    put_prior(f, r.def->key, p, r);
    if (r.def->unit && r.def->unit[0] && strcmp(r.def->unit, "1") != 0)
        fprintf(f, "  # %s", r.def->unit);
    fputc('\n', f);
}

static void put_scope(FILE *f, const char *indent, const model_params *p,
                      param_scope scope, int e1)
{
    for (size_t k = 0; k < param_table_len; k++)
        if (param_table[k].scope == scope)
            put_line(f, indent, p, (param_ref){&param_table[k], e1, 0});
}

static void put_keyed(FILE *f, const model_params *p, param_scope scope, int e1)
{
    int n1, n2;
    param_extent(p, scope, &n1, &n2);
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != scope)
            continue;
        fprintf(f, "    %s = {  # %s\n", d->key, d->unit);
        for (int e2 = 0; e2 < n2; e2++) {
            param_ref r = {d, e1, e2};
            double v = param_get(p, r);
            if (scope == SCOPE_AGENT_AGENT && e2 == e1)
                continue;
            if (scope == SCOPE_ROUTE_GOOD && isinf(v))
                continue;
            const char *name = scope == SCOPE_AGENT_AGENT ? p->agents[e2].code
                                                          : p->goods[e2].name;
            fprintf(f, "      %s = ", name);
            put_value(f, p, r);
            fprintf(f, ";");
            put_prior(f, name, p, r);
            fputc('\n', f);
        }
        fprintf(f, "    };\n");
    }
}

static void put_event(FILE *f, const model_params *p, const event_spec *e,
                      int last)
{
    char path[4 * PARAM_NAME_MAX + 16];
    fprintf(f, "  { ");
    if (e->name[0]) {
        fprintf(f, "name = ");
        config_put_string(f, e->name);
        fprintf(f, "; ");
    }
    fprintf(f, "month = %d; kind = \"%s\"; ", e->month, event_kind_names[e->kind]);
    if (e->window > 0)
        fprintf(f, "window = %d; ", e->window);
    switch (e->kind) {
    case EV_SET:
    case EV_ADD:
        priors_param_path(p, e->ref, path, sizeof path);
        fprintf(f, "path = ");
        config_put_string(f, path);
        fprintf(f, "; value = ");
        put_real(f, e->value);
        fprintf(f, "; ramp = %d;", e->ramp);
        break;
    case EV_ROUTE_OPEN:
    case EV_ROUTE_CLOSE:
        fprintf(f, "route = ");
        config_put_string(f, p->routes[e->actor].name);
        fputc(';', f);
        break;
    case EV_FLAREUP:
        fprintf(f, "a = ");
        config_put_string(f, p->agents[e->actor].code);
        fprintf(f, "; b = ");
        config_put_string(f, p->agents[e->target].code);
        fprintf(f, "; value = ");
        put_real(f, e->value);
        fputc(';', f);
        break;
    case EV_UNFREEZE:
        fprintf(f, "agent = ");
        config_put_string(f, p->agents[e->actor].code);
        fprintf(f, "; value = ");
        put_real(f, e->value);
        fputc(';', f);
        break;
    default:
        fprintf(f, "agent = ");
        config_put_string(f, p->agents[e->actor].code);
        fputc(';', f);
        break;
    }
    fprintf(f, " }%s\n", last ? "" : ",");
}

int config_write_resolved(const sim_config *c, FILE *f)
{
    static const char *const groups[] = {
        "scenario", "output", "trade", "world", "relations", "settlement",
        "suppliers", "oil", "routing", "sanctions", "membership", NULL};
    const model_params *p = c->p;
    fprintf(f, "# Resolved configuration: every parameter, given or default.\n"
               "# Loading this file reproduces the run exactly.\n");
    for (int k = 0; groups[k]; k++) {
        fprintf(f, "%s = {\n", groups[k]);
        for (size_t q = 0; q < param_table_len; q++) {
            const param_def *d = &param_table[q];
            if (d->scope == SCOPE_GLOBAL && strcmp(d->group, groups[k]) == 0)
                put_line(f, "  ", p, (param_ref){d, 0, 0});
        }
        if (strcmp(groups[k], "output") == 0 && c->n_vars) {
            fprintf(f, "  variables = [");
            for (int v = 0; v < c->n_vars; v++) {
                fputs(v ? ", " : "", f);
                config_put_string(f, c->vars[v]);
            }
            fprintf(f, "];\n");
        }
        fprintf(f, "};\n");
    }
    fprintf(f, "goods = {\n");
    for (int k = 0; k < p->n_goods; k++) {
        fprintf(f, "  %s = {\n", p->goods[k].name);
        put_scope(f, "    ", p, SCOPE_GOOD, k);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\nagents = {\n");
    for (int i = 0; i < p->n_agents; i++) {
        fprintf(f, "  %s = {\n", p->agents[i].code);
        put_scope(f, "    ", p, SCOPE_AGENT, i);
        put_keyed(f, p, SCOPE_AGENT_GOOD, i);
        put_keyed(f, p, SCOPE_AGENT_AGENT, i);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\npairs = {\n");
    for (int i = 0; i < p->n_agents; i++)
        for (int j = i + 1; j < p->n_agents; j++) {
            fprintf(f, "  %s_%s = { ", p->agents[i].code, p->agents[j].code);
            for (size_t q = 0; q < param_table_len; q++)
                if (param_table[q].scope == SCOPE_PAIR) {
                    fprintf(f, "%s = ", param_table[q].key);
                    put_value(f, p, (param_ref){&param_table[q], i, j});
                    fprintf(f, ";");
                    put_prior(f, param_table[q].key, p, (param_ref){&param_table[q], i, j});
                    fputc(' ', f);
                }
            fprintf(f, "};\n");
        }
    fprintf(f, "};\nroutes = {\n");
    for (int r = 0; r < p->n_routes; r++) {
        fprintf(f, "  %s = {\n", p->routes[r].name);
        put_scope(f, "    ", p, SCOPE_ROUTE, r);
        put_keyed(f, p, SCOPE_ROUTE_GOOD, r);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\nevents = (\n");
    for (int e = 0; e < p->n_events; e++)
        put_event(f, p, &p->events[e], e == p->n_events - 1);
    fprintf(f, ");\n");
    return ferror(f) ? -1 : 0;
}

char *config_resolved_text(const sim_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = config_write_resolved(c, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
