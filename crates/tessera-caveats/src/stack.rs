//! Stack growth for the recursive walks (parser, checker, evaluator).
//!
//! The depth limit bounds recursion, but how much stack a level takes depends on the build
//! and the caller's thread may have a small stack (async runtimes use 2 MiB), so each level
//! makes sure a comfortable amount is left before going deeper.

/// Stack that must remain before recursing further.
const RED_ZONE: usize = 64 * 1024;
/// Size of each extra stack segment allocated when the red zone is reached.
const SEGMENT: usize = 1024 * 1024;

/// Runs `f`, on a fresh stack segment if the current one is nearly used up.
pub(crate) fn guarded<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
