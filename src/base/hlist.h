/*
 * base/hlist.h — lists of open handles for pthread_atfork handlers.
 */
#ifndef CAIRN_BASE_HLIST_H
#define CAIRN_BASE_HLIST_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/hlist.h: included from a layer that may not use it"
#endif

#include <pthread.h>
#include <stddef.h>

/* A backend's open handles in this process, for its pthread_atfork
 * handlers (sqlite, postgres): each handle embeds a cairn__hlink; the list
 * has its own mutex, which a prepare handler may hold across fork(). */
typedef struct cairn__hlink {
    struct cairn__hlink *prev, *next;
    void *owner; /* the handle */
} cairn__hlink;

typedef struct {
    pthread_mutex_t mu;
    cairn__hlink *head;
} cairn__hlist;

#define CAIRN__HLIST_INIT {PTHREAD_MUTEX_INITIALIZER, NULL}

static inline void cairn__hlist_add(cairn__hlist *l, cairn__hlink *k, void *owner)
{
    pthread_mutex_lock(&l->mu);
    k->owner = owner;
    k->prev = NULL;
    k->next = l->head;
    if (l->head)
        l->head->prev = k;
    l->head = k;
    pthread_mutex_unlock(&l->mu);
}

static inline void cairn__hlist_del(cairn__hlist *l, cairn__hlink *k)
{
    pthread_mutex_lock(&l->mu);
    if (k->prev)
        k->prev->next = k->next;
    else if (l->head == k)
        l->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&l->mu);
}

#endif
