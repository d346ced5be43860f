// Intentionally empty: the module only declares LLVMFuzzerRunDriver (see the header).
#include "CFuzzerDriver.h"
