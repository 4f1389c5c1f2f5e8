//! Streaming technical indicators matching TA-Lib's definitions.
