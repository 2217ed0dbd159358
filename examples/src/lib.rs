//! Runnable examples; see `src/bin/`. Each reads its configuration from the environment
//! (`BACKPACK_BASE_URL`, `BACKPACK_API_SECRET`, optional `BACKPACK_API_KEY`) and runs
//! unchanged against `fake-backpack` or the real exchange.

/// The workspace README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;
