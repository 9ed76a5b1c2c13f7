// SwiftPM builds a C target from at least one source file; the only function is inline in the header.
#include "reel_prefetch.h"
