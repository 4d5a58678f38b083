/*
 * pending.c - the events that wait for their lookups, and the control
 * lines behind them, in input order.  An entry leaves (the emit callback,
 * then it is freed) when every slot of it is done and, by default, every
 * entry before it has left: output keeps input order, and an event behind
 * a slow lookup holds back the ones after it.  With unordered set a ready
 * event leaves at once unless a control line is queued before it.  A
 * control line leaves only from the head, so always after every event
 * read before it: a barrier still means "everything before me is out".
 *
 * Ownership: the queue owns its entries, their texts and their slots'
 * bodies and errors (freed after emit).  main.c bounds its length
 * (--max-pending) by not reading while it is full.
 */
#include "lk.h"

#include <stdlib.h>
#include <string.h>

void enr_pq_init(struct enr_pq *q, bool unordered,
                 void (*emit)(void *arg, struct enr_pend *p), void *arg)
{
	memset(q, 0, sizeof *q);
	q->unordered = unordered;
	q->first_ctl = UINT64_MAX;
	q->emit = emit;
	q->arg = arg;
}

struct enr_pend *enr_pq_push(struct enr_pq *q, const char *text, size_t len,
                             bool ctl, int nslot)
{
	struct enr_pend *p = nw_xcalloc(1, sizeof *p +
	                                (size_t)nslot * sizeof p->slot[0]);

	p->text = nw_xmemdup(text, len);
	p->len = len;
	p->ctl = ctl;
	p->nslot = p->nwait = nslot;
	p->seq = q->next_seq++;
	p->prev = q->tail;
	*(q->tail ? &q->tail->next : &q->head) = p;
	q->tail = p;
	q->count++;
	if (ctl && q->first_ctl == UINT64_MAX)
		q->first_ctl = p->seq;
	return p;
}

static void enr_pend_free(struct enr_pend *p)
{
	for (int i = 0; i < p->nslot; i++) {
		free(p->slot[i].body);
		free(p->slot[i].err);
	}
	free(p->text);
	free(p);
}

/* Out of the queue, through emit, freed; returns the entry after it. */
static struct enr_pend *enr_pq_leave(struct enr_pq *q, struct enr_pend *p)
{
	struct enr_pend *next = p->next;

	*(p->prev ? &p->prev->next : &q->head) = p->next;
	*(p->next ? &p->next->prev : &q->tail) = p->prev;
	q->count--;
	if (p->ctl) {                  /* the next control line, if any */
		struct enr_pend *c = next;
		while (c && !c->ctl)
			c = c->next;
		q->first_ctl = c ? c->seq : UINT64_MAX;
	}
	q->emit(q->arg, p);
	enr_pend_free(p);
	return next;
}

/* From the head: ready events and a control line at the head leave; a
 * waiting event stops the walk, or with unordered is stepped over (up to
 * the first control line, which must wait for it). */
void enr_pq_drain(struct enr_pq *q)
{
	struct enr_pend *p = q->head;

	while (p) {
		if (p->ctl ? p == q->head : p->nwait == 0)
			p = enr_pq_leave(q, p);
		else if (q->unordered && !p->ctl)
			p = p->next;
		else
			break;
	}
}

void enr_pq_slot_done(struct enr_pq *q, struct enr_pend *p, int i)
{
	p->slot[i].done = true;
	if (--p->nwait > 0)
		return;
	if (!q->unordered || p == q->head) {
		enr_pq_drain(q);
		return;
	}
	if (p->seq < q->first_ctl)      /* nothing holds it back */
		enr_pq_leave(q, p);
	if (q->head && q->head->ctl)
		enr_pq_drain(q);
}

void enr_pq_free(struct enr_pq *q)
{
	struct enr_pend *p = q->head, *next;

	for (; p; p = next) {
		next = p->next;
		enr_pend_free(p);
	}
	q->head = q->tail = NULL;
	q->count = 0;
}
