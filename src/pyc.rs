//! `.pyc` files: header and marshalled module (in progress).
