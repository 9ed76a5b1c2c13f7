#ifndef REEL_PREFETCH_H
#define REEL_PREFETCH_H

/// Swift has no prefetch intrinsic; this header gives the ANN search one. Static inline, so the Swift compiler
/// inlines it into the search loop (one `prefetcht0` instruction, no call).
///
/// A prefetch is only a hint: it never changes a result, so the index stays deterministic.
static inline __attribute__((always_inline)) void reel_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
