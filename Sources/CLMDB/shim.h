#ifndef LATTICE_CLMDB_SHIM_H
#define LATTICE_CLMDB_SHIM_H
#include <lmdb.h>
#include <stddef.h>

/* Most bytes of a value lattice_mdb_prefetch asks for (16 cache lines), so one call issues a
   bounded number of hints; the rest of a longer value is left to the hardware prefetcher,
   which follows a value read in order. */
#define LATTICE_MDB_PREFETCH_BYTES_MAX 1024

/* Asks the CPU to start loading the cache lines of a value that mdb_get left in the memory
   map (its first LATTICE_MDB_PREFETCH_BYTES_MAX bytes), so that work done before the value
   is read overlaps the cache misses of a page touched for the first time. A hint only: it
   never faults and changes no data. Swift has no prefetch of its own. */
static inline void lattice_mdb_prefetch(const void *data, size_t size) {
    const char *bytes = (const char *)data;
    size_t count = size < LATTICE_MDB_PREFETCH_BYTES_MAX ? size : LATTICE_MDB_PREFETCH_BYTES_MAX;
    for (size_t at = 0; at < count; at += 64) __builtin_prefetch(bytes + at);
    if (count > 0) __builtin_prefetch(bytes + count - 1);
}

#endif
