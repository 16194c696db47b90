//! URL splitting and document-database path derivation. (Being written.)
