/*
 * prom.h - the Prometheus text exposition format (version 0.0.4): metric
 * families with their HELP and TYPE, samples with escaped label values,
 * rendered with every family's samples together, as the format requires,
 * whatever order they were added in.
 *
 * Ownership: a struct prom owns its families, their names, help texts and
 * sample lines; label sets and values given to it are copied.
 */
#ifndef PROM_H
#define PROM_H

#include "nw.h"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_UNTYPED };

#define PROM_MAX_LABELS 8
struct prom_label { const char *name, *value; };
/* A label set, copied by value so a caller can extend a base set. */
struct prom_lset {
	struct prom_label l[PROM_MAX_LABELS];
	size_t n;
};

struct prom_fam {
	char *name, *help;
	enum prom_type type;
	struct nw_buf samples;    /* rendered sample lines */
};

struct prom {
	struct prom_fam *v;
	size_t n, cap;
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);

/* A label set plus one more label (past PROM_MAX_LABELS it is dropped). */
struct prom_lset prom_with(struct prom_lset ls, const char *name,
                           const char *value);

/* The family NAME ("netwatch_" is prefixed), created with this type and
 * help on first use; later uses keep the first type and help. */
struct prom_fam *prom_family(struct prom *p, const char *name,
                             enum prom_type type, const char *help);

/* One sample of a family; value is its text (see the helpers below). */
void prom_sample(struct prom_fam *f, const struct prom_lset *ls,
                 const char *value);
void prom_u64(struct prom_fam *f, const struct prom_lset *ls, uint64_t v);
void prom_i64(struct prom_fam *f, const struct prom_lset *ls, int64_t v);
/* Milliseconds as seconds, exactly: 1234 -> "1.234". */
void prom_ms(struct prom_fam *f, const struct prom_lset *ls, int64_t ms);
void prom_dbl(struct prom_fam *f, const struct prom_lset *ls, double v);

/* A metric name from free text: every byte outside [a-zA-Z0-9_] becomes
 * '_' (kcat-src -> kcat_src); the result is cap-truncated. */
void prom_name(char *out, size_t cap, const char *s);

/* Every family that has samples, in the order they were created. */
void prom_render(const struct prom *p, struct nw_buf *out);

#endif
