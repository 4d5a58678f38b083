/* prom.c - the exposition format writer (prom.h): families in creation
 * order, each with its samples kept in its own buffer until rendering. */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[PROM_COUNTER] = "counter", [PROM_GAUGE] = "gauge",
	[PROM_UNTYPED] = "untyped",
};

void prom_init(struct prom *p)
{
	memset(p, 0, sizeof *p);
}

void prom_free(struct prom *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].help);
		nw_buf_free(&p->v[i].samples);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

struct prom_lset prom_with(struct prom_lset ls, const char *name,
                           const char *value)
{
	if (ls.n < PROM_MAX_LABELS)
		ls.l[ls.n++] = (struct prom_label){ name, value };
	return ls;
}

void prom_name(char *out, size_t cap, const char *s)
{
	size_t i = 0;

	if (cap == 0)
		return;
	for (; s[i] != '\0' && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = c == '_' || (c >= 'a' && c <= 'z') ||
		          (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		out[i] = ok ? (char)c : '_';
	}
	out[i] = '\0';
}

struct prom_fam *prom_family(struct prom *p, const char *name,
                             enum prom_type type, const char *help)
{
	char full[256];

	snprintf(full, sizeof full, "netwatch_%s", name);
	/* A scrape holds a few dozen families: a linear search is enough. */
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, full) == 0)
			return &p->v[i];
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->v = nw_xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	p->v[p->n] = (struct prom_fam){ nw_xstrdup(full), nw_xstrdup(help),
	                                type, { 0 } };
	return &p->v[p->n++];
}

/* HELP text escapes \ and newline; a label value also escapes ". */
static void prom_escape(struct nw_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			nw_buf_adds(b, "\\\\");
		else if (*s == '\n')
			nw_buf_adds(b, "\\n");
		else if (*s == '"' && quote)
			nw_buf_adds(b, "\\\"");
		else
			nw_buf_addc(b, *s);
	}
}

void prom_sample(struct prom_fam *f, const struct prom_lset *ls,
                 const char *value)
{
	struct nw_buf *b = &f->samples;

	nw_buf_adds(b, f->name);
	for (size_t i = 0; ls && i < ls->n; i++) {
		nw_buf_adds(b, i ? ",": "{");
		nw_buf_adds(b, ls->l[i].name);
		nw_buf_adds(b, "=\"");
		prom_escape(b, ls->l[i].value ? ls->l[i].value : "", true);
		nw_buf_addc(b, '"');
	}
	if (ls && ls->n)
		nw_buf_addc(b, '}');
	nw_buf_addc(b, ' ');
	nw_buf_adds(b, value);
	nw_buf_addc(b, '\n');
}

void prom_u64(struct prom_fam *f, const struct prom_lset *ls, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof s, "%" PRIu64, v);
	prom_sample(f, ls, s);
}

void prom_i64(struct prom_fam *f, const struct prom_lset *ls, int64_t v)
{
	char s[24];

	snprintf(s, sizeof s, "%" PRId64, v);
	prom_sample(f, ls, s);
}

void prom_ms(struct prom_fam *f, const struct prom_lset *ls, int64_t ms)
{
	/* Integer arithmetic: the seconds read back equal the file's ms. */
	uint64_t a = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	char s[32];

	snprintf(s, sizeof s, "%s%" PRIu64 ".%03u", ms < 0 ? "-" : "",
	         a / 1000, (unsigned)(a % 1000));
	prom_sample(f, ls, s);
}

void prom_dbl(struct prom_fam *f, const struct prom_lset *ls, double v)
{
	char s[40];

	if (isnan(v))
		snprintf(s, sizeof s, "NaN");
	else if (isinf(v))
		snprintf(s, sizeof s, "%sInf", v < 0 ? "-" : "+");
	else
		snprintf(s, sizeof s, "%.17g", v);
	prom_sample(f, ls, s);
}

void prom_render(const struct prom *p, struct nw_buf *out)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct prom_fam *f = &p->v[i];
		if (f->samples.len == 0)
			continue;
		nw_buf_printf(out, "# HELP %s ", f->name);
		prom_escape(out, f->help, false);
		nw_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		nw_buf_add(out, f->samples.p, f->samples.len);
	}
}
