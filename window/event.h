/*
 * event.h - one input line to a checked event: the scanner, the timestamp,
 * the keys and the aggregate inputs, or the reason it goes to the
 * dead-letter output.  main, the fuzz target and the tests share it.
 *
 * Ownership: win_parser owns its path trie, value arrays and scratch; the
 * aggregate array is borrowed.
 */
#ifndef WIN_EVENT_H
#define WIN_EVENT_H

#include "agg.h"
#include "kspec.h"
#include "jscan.h"
#include "wtime.h"

#define WIN_MAX_KEYS 16

struct win_parser {
	struct jscan_paths paths;
	int ts_slot;
	enum win_tunit unit;
	int nkeys;
	const char *key_names[WIN_MAX_KEYS];
	int key_slots[WIN_MAX_KEYS];   /* -1 for a key that is no plain field */
	struct win_kspec kspec[WIN_MAX_KEYS];
	/* the event's keys: field i's are keys[kfirst[i] .. kfirst[i+1]) */
	struct win_kref keys[WIN_EVENT_KEYS];
	int kfirst[WIN_MAX_KEYS + 1];
	struct nw_buf kbuf;        /* compound keys and array elements */
	struct win_agg *aggs;
	int naggs;
	struct jscan_val *vals;     /* one per path slot */
	struct win_in *in;         /* one per aggregate */
	char *scratch;
	size_t scratch_cap;
	char reason[200];
	bool skip_missing;          /* --missing-key skip */
};

/* win_parse_event's answer for an event that has none of the key fields
 * under --missing-key skip: not a dead letter, counted as unkeyed. */
extern const char win_unkeyed[];

/* Set up for the time field, key fields and aggregates (whose slots it
 * fills in).  -1 with a message in err on a bad path. */
int win_parser_init(struct win_parser *p, const char *time_field,
                    enum win_tunit unit, const char *const *keys, int nkeys,
                    struct win_agg *aggs, int naggs, char *err, size_t errlen);
/* NULL for a good event (*ts, p->vals, p->keys and p->in filled), else the
 * dead-letter reason (or win_unkeyed).  Under skip_missing a key field
 * that is absent or null leaves that field's vals entry not a string: the
 * engine counts the event under the key fields it has.  line[n] must be readable (the reader's NUL). */
const char *win_parse_event(struct win_parser *p, const char *line, size_t n,
                            int64_t *ts);
void win_parser_free(struct win_parser *p);

#endif
