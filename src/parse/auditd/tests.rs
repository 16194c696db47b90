//! Unit tests of the auditd parser and assembler.
