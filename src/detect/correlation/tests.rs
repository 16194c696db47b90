//! Correlation engine tests (see tests.rs module docs).
