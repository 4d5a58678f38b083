/*
 * queue.c - the alerts notify holds in memory and the FIFO queues they wait
 * in (waiting for a post, staged until the spool has them, in flight).
 *
 * Ownership: ntf_alert_new allocates an alert and its copy of the line;
 * a queue owns the alerts pushed onto it until they are popped, and
 * ntf_queue_clear frees what is left.  An alert is in one queue at a time
 * (its next pointer is the link).
 */
#include "ntf.h"

#include <stdlib.h>
#include <string.h>

struct ntf_alert *ntf_alert_new(const char *id, const char *line, size_t len)
{
	struct ntf_alert *a = nw_xcalloc(1, sizeof *a);
	a->line = nw_xmalloc(len + 1);
	memcpy(a->line, line, len);
	a->line[len] = '\0';
	a->len = len;
	snprintf(a->id, sizeof a->id, "%s", id);
	return a;
}

void ntf_alert_free(struct ntf_alert *a)
{
	if (a) {
		free(a->line);
		free(a);
	}
}

void ntf_queue_push(struct ntf_queue *q, struct ntf_alert *a)
{
	a->next = NULL;
	if (q->tail)
		q->tail->next = a;
	else
		q->head = a;
	q->tail = a;
	q->count++;
	q->bytes += a->len + sizeof *a;
}

/* Put every alert of front before q's (front is left empty). */
void ntf_queue_push_front(struct ntf_queue *q, struct ntf_queue *front)
{
	if (front->head == NULL)
		return;
	front->tail->next = q->head;
	if (q->tail == NULL)
		q->tail = front->tail;
	q->head = front->head;
	q->count += front->count;
	q->bytes += front->bytes;
	memset(front, 0, sizeof *front);
}

struct ntf_alert *ntf_queue_pop(struct ntf_queue *q)
{
	struct ntf_alert *a = q->head;
	if (a == NULL)
		return NULL;
	q->head = a->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	q->bytes -= a->len + sizeof *a;
	a->next = NULL;
	return a;
}

void ntf_queue_clear(struct ntf_queue *q)
{
	struct ntf_alert *a;
	while ((a = ntf_queue_pop(q)) != NULL)
		ntf_alert_free(a);
}
