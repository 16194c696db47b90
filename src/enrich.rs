//! Config-derived fields: `tenant` and `staff`. (Being written.)
