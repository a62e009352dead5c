/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * params.h - the model's parameters and the one declarative table that
 * names, types, bounds and documents every one of them.
 *
 * The table (param_table[]) is pure data.  The config loader (io/config.c),
 * --set overrides, scenario events and the result file's provenance all go
 * through it, so a parameter is declared exactly once.  No model number is a
 * literal in C: every value comes from configs/ (the table's defaults are
 * only neutral values such as "no limit" or "no extra weight").
 */
#ifndef SIM_MODEL_PARAMS_H
#define SIM_MODEL_PARAMS_H

#include <stddef.h>

#include "prior.h"

#define PARAM_NAME_MAX 48
#define PARAM_CODE_MAX 16

/* Where a parameter lives, i.e. the shape of its config path. */
typedef enum {
    SCOPE_GLOBAL,      /* <group>.<key>                     trade.alpha           */
    SCOPE_GOOD,        /* goods.<good>.<key>                goods.oil.price       */
    SCOPE_AGENT,       /* agents.<code>.<key>               agents.RUS.gdp        */
    SCOPE_AGENT_GOOD,  /* agents.<code>.<key>.<good>        agents.RUS.capacity.shells */
    SCOPE_AGENT_AGENT, /* agents.<code>.<key>.<partner>     agents.RUS.strategic.PRK   */
    SCOPE_PAIR,        /* pairs.<A>_<B>.<key> (symmetric)   pairs.CHN_RUS.affinity     */
    SCOPE_ROUTE,       /* routes.<name>.<key>               routes.caspian.open   */
    SCOPE_ROUTE_GOOD,  /* routes.<name>.<key>.<good>        routes.rajin.limit.shells  */
    SCOPE_COUNT
} param_scope;

typedef enum {
    PT_REAL,   /* double                                    */
    PT_INT,    /* int (stored as int)                       */
    PT_BOOL,   /* true/false, stored as double 0 or 1       */
    PT_STRING, /* stored in char[PARAM_NAME_MAX]            */
    PT_CHOICE  /* one of a '|' separated list, stored as int */
} param_type;

/* Parameters that are the initial value of a state variable: an event that
 * sets one mid-run changes the live state, not only the parameter. */
typedef enum {
    LIVE_NONE,
    LIVE_STOCK,
    LIVE_SANCTIONS,
    LIVE_GDP,
    LIVE_MEMBER,
    LIVE_CASH,
    LIVE_AFFINITY,
    LIVE_RIVALRY,
    LIVE_USD
} param_live;

typedef struct param_def {
    param_scope scope;
    const char *group;   /* SCOPE_GLOBAL only: the group name      */
    const char *key;
    param_type type;
    const char *unit;    /* "1" for dimensionless                  */
    double min, max;     /* inclusive bounds for numbers           */
    int required;        /* 1: must be given in the config         */
    double def;          /* default when not required              */
    const char *def_from;/* default taken from this global path    */
    const char *choices; /* PT_CHOICE: "a|b|c"                     */
    size_t offset;       /* into the scope's struct                */
    param_live live;
    const char *doc;
} param_def;

extern const param_def param_table[];
extern const size_t param_table_len;

/* ---- per-scope structs -------------------------------------------------- */

typedef struct {
    /* scenario */
    char name[PARAM_NAME_MAX];
    char start[PARAM_NAME_MAX]; /* "YYYY-MM" */
    int months;
    double seed;                /* integer-valued, 0 .. 2^53 */
    char focus[PARAM_NAME_MAX]; /* agent whose headline figures are reported */
    /* output */
    int every;
    /* trade */
    double alpha, beta, candidate_weight, min_flow;
    int rounds;
    /* world (rest of the world and civilian gravity) */
    double gravity_g, gravity_a, gravity_b, gravity_c, gravity_beta_s,
        western_share, earth_radius_km, gdp_scale;
    /* relations */
    double eta, b_threat, b_dep, b_fill, b_rivalry, b_comp, gamma, sigma_a,
        dep_ewma, rivalry_theta, rivalry_sigma, flare_rate, flare_size,
        affinity_default, rivalry_default, usd_default;
    /* settlement */
    double usd_drift, usd_threshold, usd_relax, usd_friction;
    /* sanctions drivers */
    double feedback;            /* bool */
    char war_agent[PARAM_NAME_MAX];
    double fb_arms, fb_restraint, fb_grievance, fb_aid_scale;
    /* membership */
    double join_affinity, join_pressure, exit_affinity;
    int join_months;
} global_params;

typedef struct {
    char name[PARAM_NAME_MAX];
    char unit[PARAM_NAME_MAX];
    double price;          /* USD per unit                        */
    double price_theta;    /* mean reversion of log-price shock   */
    double price_sigma;    /* sd of log-price shock per month     */
    double sensitivity;    /* phi: output loss per unit s*western_dep */
    double discount;       /* max discount per unit sanctions     */
    double discount_conc;  /* extra discount per buyer market share */
    double lot;            /* units per lot; 0: continuous (Beta losses) */
    double loss_conc;      /* Beta concentration of loss fraction */
    double controlled;     /* bool: subject to secondary-sanctions withholding */
    char input[PARAM_NAME_MAX]; /* input good ("" for none)       */
    double input_per_unit; /* units of input per unit of output   */
    double world_pull;     /* ROW demand weight per unit surplus  */
    double world_avoid;    /* ROW demand lost per unit seller sanctions */
    double world_access;   /* share of remaining need ROW fills   */
    double world_close;    /* buyer sanctions at which ROW closes */
    double world_markup;   /* ROW price markup per unit buyer sanctions */
} good_params;

typedef struct {
    char code[PARAM_NAME_MAX];
    char name[PARAM_NAME_MAX];
    double member;         /* bool */
    double gdp;            /* USD/month */
    double gdp_growth;     /* per month */
    double lat, lon;       /* degrees */
    double sanctions;      /* [0,1] */
    double secondary;      /* [0,1] secondary-sanctions intensity on this agent */
    double tolerance;      /* [0,1] exposure above which controlled goods are withheld */
    double defection;      /* [0,1] affinity below which this agent refuses a partner */
    double cash;           /* USD, liquid reserves at start */
} agent_params;

typedef struct {
    double capacity, stock, demand, reserve, western_dep;
} agent_good_params;

typedef struct {
    double strategic;
} agent_agent_params;

typedef struct {
    double affinity, affinity_base, rivalry, rivalry_base, flare_rate,
        flare_size, usd_share, usd_base;
} pair_params;

enum { ROUTE_LAND, ROUTE_RAIL, ROUTE_CASPIAN, ROUTE_SEA, ROUTE_AIR };
#define ROUTE_MODES "land|rail|caspian|sea|air"

typedef struct {
    char name[PARAM_NAME_MAX];
    char a[PARAM_NAME_MAX], b[PARAM_NAME_MAX];
    int mode;
    double kappa;          /* transport cost per unit value */
    double vulnerability;  /* [0,1] */
    double interdiction;   /* [0,1] intensity I */
    double open;           /* bool */
    int ia, ib;            /* resolved agent indices */
} route_params;

typedef struct {
    double limit;          /* units/month; HUGE_VAL when unlimited */
} route_good_params;

/* ---- scheduled events --------------------------------------------------- */

typedef enum {
    EV_SET,        /* set a parameter (optionally ramped)       */
    EV_ADD,        /* add to a parameter (optionally ramped)    */
    EV_ROUTE_OPEN,
    EV_ROUTE_CLOSE,
    EV_FLAREUP,    /* rivalry jump between two agents           */
    EV_UNFREEZE,   /* one-off USD transfer to an agent          */
    EV_ADMIT,
    EV_EXPEL,
    /* logged by the model itself, never scheduled: */
    EV_JOIN,
    EV_LEAVE,
    EV_INCIDENT,   /* Poisson rivalry flare-up                  */
    EV_KIND_COUNT
} event_kind;

extern const char *const event_kind_names[EV_KIND_COUNT];

/* A reference to one parameter instance: the table row and up to two
 * element indices (agent/good/route/pair members). */
typedef struct {
    const param_def *def;
    int e1, e2;
} param_ref;

typedef struct {
    char name[PARAM_NAME_MAX]; /* optional, for --set events.NAME.FIELD */
    int month;       /* step at which it starts */
    int ramp;        /* months to reach the value linearly; 0: at once */
    event_kind kind;
    param_ref ref;   /* EV_SET, EV_ADD */
    int actor, target; /* agent indices, route index for route events, -1 */
    double value;
    char label[2 * PARAM_NAME_MAX + 8]; /* path or route name, for the log */
} event_spec;

/* The prior of one parameter instance (`<key>_prior` next to its value in
 * the config; see prior.h). */
typedef struct {
    param_ref ref;
    prior pr;
} param_prior;

typedef struct model_params {
    global_params g;
    int n_goods, n_agents, n_routes, n_events;
    good_params *goods;          /* [n_goods] */
    agent_params *agents;        /* [n_agents] */
    agent_good_params *ag;       /* [n_agents * n_goods] */
    agent_agent_params *aa;      /* [n_agents * n_agents] */
    pair_params *pairs;          /* [n_agents * n_agents], symmetric */
    route_params *routes;        /* [n_routes] */
    route_good_params *rg;       /* [n_routes * n_goods] */
    event_spec *events;          /* [n_events], sorted by month */
    /* resolved after loading */
    int *input_good;             /* [n_goods], -1 for none */
    int focus, war_agent;        /* agent indices (-1 for none) */
    int start_year, start_month;
    param_prior *priors;         /* [n_priors], in config order; owned */
    int n_priors;
} model_params;

/* Allocation and copying.  params_free(NULL) is harmless. */
model_params *params_alloc(int n_agents, int n_goods, int n_routes,
                           int n_events);
model_params *params_copy(const model_params *p);
void params_free(model_params *p);

/* Apply every table default to the structs (strings emptied). */
void params_set_defaults(model_params *p);

/* Table look-ups. */
const param_def *param_find(param_scope scope, const char *group,
                            const char *key);
/* How many instances a scope has: n1 elements (agents, goods or routes;
 * 1 for globals) times n2 (goods or partners; 1 for one-index scopes). */
void param_extent(const model_params *p, param_scope scope, int *n1, int *n2);
/* Address of one parameter instance; NULL when the indices are invalid. */
void *param_addr(model_params *p, param_ref ref);
/* Numeric value (REAL, INT, BOOL, CHOICE) of one instance. */
double param_get(const model_params *p, param_ref ref);
/* Set a numeric instance; pairs are written symmetrically. */
void param_set(model_params *p, param_ref ref, double value);

/* The prior of one instance (a pair's in either order), or NULL. */
const prior *params_prior_of(const model_params *p, param_ref ref);

/* Resolve names (route ends, input goods, focus, war agent, start date).
 * Returns 0, or -1 with a reason in why (size len) naming the key. */
int params_resolve(model_params *p, char *why, size_t len);

/* Index helpers. */
int params_agent_index(const model_params *p, const char *code);
int params_good_index(const model_params *p, const char *name);
int params_route_index(const model_params *p, const char *name);

#endif
