/*
 * backend/lmdb_check.h — the lmdb backend's checks of DIR/data.mdb before
 * LMDB maps it, and its record of the last commit (lmdb_check.c;
 * docs/backends.md, "Damage found at open").
 */
#ifndef CAIRN_BACKEND_LMDB_CHECK_H
#define CAIRN_BACKEND_LMDB_CHECK_H

/* Layer 2 (backend/): for layers above 2 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 2 && !defined(CAIRN_IN_BACKEND)) || CAIRN_LAYER == 4
#error "backend/lmdb_check.h: included from a layer that may not use it"
#endif

#include <stdbool.h>
#include <stdint.h>

/* Read this boot's id (/proc/sys/kernel/random/boot_id) once per process,
 * before the other calls. */
void cairn__lmdb_boot_init(void);

/* Check DIR/data.mdb with pread before mdb_env_open: CAIRN_ECORRUPT (the
 * message set, naming the file) when it is empty, shorter than the pages
 * its newest meta page says are in use (unless they are free ones), when
 * its meta pages break LMDB's page N % 2 rule, or when its newest
 * transaction is older than DIR/cairn.txnid's record. CAIRN_OK also when
 * it is not there (a new store; a record left there is removed) or not an
 * LMDB file (mdb_env_open says so). */
int cairn__lmdb_check(const char *dir);

/* DIR/cairn.txnid, mapped: created (unless must_exist) and mapped, or NULL
 * when it cannot be. Unmap with cairn__lmdb_txrec_unmap (NULL is fine). */
typedef struct cairn__lmdb_txrec cairn__lmdb_txrec;
cairn__lmdb_txrec *cairn__lmdb_txrec_map(const char *dir, bool must_exist);
void cairn__lmdb_txrec_unmap(cairn__lmdb_txrec *rec);

/* Record that transaction txnid of data.mdb (inode ino) is committed;
 * durable: it is synced (holds after a reboot). A store to the map, no
 * system call; writers racing may tear it, and a torn record is ignored. */
void cairn__lmdb_txrec_note(cairn__lmdb_txrec *rec, uint64_t ino, bool durable,
                            uint64_t txnid);

#endif
