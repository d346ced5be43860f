#ifndef LATTICE_CLMDB_SHIM_H
#define LATTICE_CLMDB_SHIM_H
#include <lmdb.h>
#endif
