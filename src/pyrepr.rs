//! Python `repr()` of constants, as each version prints it (in progress).
