//! Replay feed (in progress).
