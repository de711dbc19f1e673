//! Unit tests of the payments driver.
