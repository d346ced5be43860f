#ifndef LATTICE_CZSTD_SHIM_H
#define LATTICE_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
