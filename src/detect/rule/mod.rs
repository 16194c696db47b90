//! Sigma rules: loading, compiling, matching. (Being written.)
