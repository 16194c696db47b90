//! Access-log timestamps. (Being written.)
